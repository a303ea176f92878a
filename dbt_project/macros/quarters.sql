{#- Quarter arithmetic in SQL, mirroring stateofml/quarters.py (2022-10-01 <-> "2022 Q4").
    Written with dbt's cross-database macros: the same text runs on DuckDB and Spark. -#}
{% macro quarter_start(ts) -%}
    {{ dbt.cast(dbt.date_trunc('quarter', ts), 'date') }}
{%- endmacro %}

{% macro quarter_label(quarter_start_col) -%}
    {{ dbt.concat([
        dbt.cast('extract(year from ' ~ quarter_start_col ~ ')', dbt.type_string()),
        "' Q'",
        dbt.cast('extract(quarter from ' ~ quarter_start_col ~ ')', dbt.type_string()),
    ]) }}
{%- endmacro %}

{% macro year_start(ts) -%}
    {{ dbt.cast(dbt.date_trunc('year', ts), 'date') }}
{%- endmacro %}

{#- "2022", or "2023 (2 of 4 quarters)" while the year is not completely loaded. -#}
{% macro year_label(year_start_col, quarters_covered_col) -%}
    (cast(extract(year from {{ year_start_col }}) as {{ dbt.type_string() }})
     || case when {{ quarters_covered_col }} < 4
             then ' (' || cast({{ quarters_covered_col }} as {{ dbt.type_string() }}) || ' of 4 quarters)'
             else '' end)
{%- endmacro %}

{#- The leading columns of every mart by quarter or by year, one definition for all of them:
    quarter_start, quarter_label; or year_start, year, year_label, quarters_covered. `rows` is the
    relation holding the period's start, `coverage` the one holding quarters_covered (none: the
    columns are not qualified). -#}
{% macro period_columns(period, rows=none, coverage=none) -%}
    {%- set r = (rows ~ '.') if rows else '' -%}
    {%- set c = (coverage ~ '.') if coverage else '' -%}
    {%- if period == 'quarter' -%}
    {{ r }}quarter_start,
    {{ quarter_label(r ~ 'quarter_start') }} as quarter_label
    {%- else -%}
    {{ r }}year_start,
    cast(extract(year from {{ r }}year_start) as integer) as year,
    {{ year_label(r ~ 'year_start', c ~ 'quarters_covered') }} as year_label,
    cast({{ c }}quarters_covered as integer) as quarters_covered
    {%- endif -%}
{%- endmacro %}
