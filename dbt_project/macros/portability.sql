{#- SQL that DuckDB and Spark spell differently, one macro per idea (docs/spark.md).
    `default__` is DuckDB's spelling (the primary target); `spark__` is Spark SQL's. -#}

{#- The whole string matches the regular expression (no implicit anchoring differences). -#}
{% macro regexp_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'stateofml')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#- An empty list of the given element type (`integer`, `string`), to coalesce null lists. -#}
{% macro empty_list(element_type) -%}
    {{ return(adapter.dispatch('empty_list', 'stateofml')(element_type)) }}
{%- endmacro %}

{% macro default__empty_list(element_type) -%}
    cast([] as {{ element_type }}[])
{%- endmacro %}

{% macro spark__empty_list(element_type) -%}
    cast(array() as array<{{ element_type }}>)
{%- endmacro %}

{#- The list holds the value. -#}
{% macro list_contains(list, value) -%}
    {{ return(adapter.dispatch('list_contains', 'stateofml')(list, value)) }}
{%- endmacro %}

{% macro default__list_contains(list, value) -%}
    list_contains({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_contains(list, value) -%}
    array_contains({{ list }}, {{ value }})
{%- endmacro %}

{#- Number of elements of a list (0 for an empty list). -#}
{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length', 'stateofml')(list)) }}
{%- endmacro %}

{% macro default__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
    size({{ list }})
{%- endmacro %}

{#- A date or timestamp formatted with strftime codes (%Y, %m, %d, %H): DuckDB's strftime;
    on Spark the codes are translated to a datetime pattern. Only these four codes. -#}
{% macro format_date(expr, format) -%}
    {{ return(adapter.dispatch('format_date', 'stateofml')(expr, format)) }}
{%- endmacro %}

{% macro default__format_date(expr, format) -%}
    strftime({{ expr }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_date(expr, format) -%}
    {%- set pattern = format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd') | replace('%H', 'HH') -%}
    {%- if '%' in pattern -%}
        {{ exceptions.raise_compiler_error("format_date on Spark knows %Y %m %d %H only, got '" ~ format ~ "'") }}
    {%- endif -%}
    date_format({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#- Every match of the regular expression replaced (RE2 on DuckDB, Java regex on Spark: keep to
    their common syntax; flags inline, e.g. (?i)). String literals are raw on both (the Spark
    profile sets spark.sql.parser.escapedStringLiterals), so '\s' means \s everywhere. -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'stateofml')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- The regular expression matches somewhere in the string (anchor it with ^ $ to match all). -#}
{% macro regexp_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'stateofml')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_contains(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern }}')
{%- endmacro %}

{#- A list literal from SQL expressions: list_of(["'none'"]). -#}
{% macro list_of(items) -%}
    {{ return(adapter.dispatch('list_of', 'stateofml')(items)) }}
{%- endmacro %}

{% macro default__list_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro spark__list_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{#- The list without repeated elements (order not guaranteed). -#}
{% macro list_distinct(list) -%}
    {{ return(adapter.dispatch('list_distinct', 'stateofml')(list)) }}
{%- endmacro %}

{% macro default__list_distinct(list) -%}
    list_distinct({{ list }})
{%- endmacro %}

{% macro spark__list_distinct(list) -%}
    array_distinct({{ list }})
{%- endmacro %}

{#- Each element x of the list replaced by body(x): list_transform('media_types', 'm', 'lower(m)'). -#}
{% macro list_transform(list, param, body) -%}
    {{ return(adapter.dispatch('list_transform', 'stateofml')(list, param, body)) }}
{%- endmacro %}

{% macro default__list_transform(list, param, body) -%}
    list_transform({{ list }}, lambda {{ param }}: {{ body }})
{%- endmacro %}

{% macro spark__list_transform(list, param, body) -%}
    transform({{ list }}, {{ param }} -> {{ body }})
{%- endmacro %}

{#- One output row per element of the list, in a select list (DuckDB unnest, Spark explode);
    a null or empty list gives no row. -#}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list', 'stateofml')(list)) }}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- Aggregate: the group's values as a list; distinct drops repeats, sorted orders them (Spark's
    collect_list has no order of its own). -#}
{% macro list_agg(expr, distinct=false, sorted=false) -%}
    {{ return(adapter.dispatch('list_agg', 'stateofml')(expr, distinct, sorted)) }}
{%- endmacro %}

{% macro default__list_agg(expr, distinct, sorted) -%}
    list({{ 'distinct ' if distinct }}{{ expr }}{{ (' order by ' ~ expr) if sorted }})
{%- endmacro %}

{% macro spark__list_agg(expr, distinct, sorted) -%}
    {%- set collected = ('collect_set(' if distinct else 'collect_list(') ~ expr ~ ')' -%}
    {{ ('array_sort(' ~ collected ~ ')') if sorted else collected }}
{%- endmacro %}

{#- The two lists share at least one element. -#}
{% macro list_overlaps(left, right) -%}
    {{ return(adapter.dispatch('list_overlaps', 'stateofml')(left, right)) }}
{%- endmacro %}

{% macro default__list_overlaps(left, right) -%}
    list_has_any({{ left }}, {{ right }})
{%- endmacro %}

{% macro spark__list_overlaps(left, right) -%}
    arrays_overlap({{ left }}, {{ right }})
{%- endmacro %}

{#- The elements of the first list followed by those of the second. -#}
{% macro list_concat(left, right) -%}
    {{ return(adapter.dispatch('list_concat', 'stateofml')(left, right)) }}
{%- endmacro %}

{% macro default__list_concat(left, right) -%}
    list_concat({{ left }}, {{ right }})
{%- endmacro %}

{% macro spark__list_concat(left, right) -%}
    concat({{ left }}, {{ right }})
{%- endmacro %}

{#- The list in ascending order (a deterministic order for lists built with list_distinct). -#}
{% macro list_sort(list) -%}
    {{ return(adapter.dispatch('list_sort', 'stateofml')(list)) }}
{%- endmacro %}

{% macro default__list_sort(list) -%}
    list_sort({{ list }})
{%- endmacro %}

{% macro spark__list_sort(list) -%}
    array_sort({{ list }})
{%- endmacro %}
