{#- The few generic tests we need, written here instead of pulling dbt_utils from the hub
    (no network but the package registries). -#}
{% test not_negative(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{#- A share is in [0, 1], give or take float round-off: a part summed in another order than its
    whole can come out at 1.0000000000000002. -#}
{% test share_between_0_and_1(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < -1e-9 or {{ column_name }} > 1 + 1e-9
{% endtest %}

{#- Grouped by a 64-bit hash of the columns first, then by the columns only where a hash repeats:
    a group-by of the strings themselves over a full-size year's bridge (~1 B rows of run_id and
    library) ran out of DuckDB's 8 GB and could not spill; 64-bit keys take a fraction of that. A
    hash collision only adds candidates: the failing rows are found by the columns. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    with tested as (select {{ columns }}, {{ row_hash(combination_of_columns) }} as _h from {{ model }}),
    repeated as (select _h from tested group by _h having count(*) > 1)
    select {{ columns }}, count(*) as n
    from tested
    where _h in (select _h from repeated)
    group by {{ columns }}
    having count(*) > 1
{% endtest %}

{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'stateofml')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

{#- Every value of the column is a quarter start (yyyy-01/04/07/10-01). -#}
{% test is_quarter_start(model, column_name) %}
    select * from {{ model }}
    where {{ column_name }} <> cast(date_trunc('quarter', {{ column_name }}) as date)
{% endtest %}

{#- Every value of the column is a year start (yyyy-01-01). -#}
{% test is_year_start(model, column_name) %}
    select * from {{ model }}
    where {{ column_name }} <> cast(date_trunc('year', {{ column_name }}) as date)
{% endtest %}

{% test value_between(model, column_name, min_value, max_value) %}
    select * from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{#- A share column adds up to 1 within each group (e.g. per quarter), where it is defined. -#}
{% test shares_sum_to_one(model, column_name, group_by) %}
    select {{ group_by | join(', ') }}, sum({{ column_name }}) as total
    from {{ model }}
    group by {{ group_by | join(', ') }}
    having abs(sum({{ column_name }}) - 1) > 1e-9
{% endtest %}

{#- Two marts agree on a total per period (e.g. headline runs = runs summed over GPU vendors):
    a breakdown that loses or double-counts rows fails here. -#}
{% test totals_match(model, column_name, compare_model, compare_column, group_by, compare_group_by=none) %}
    {#- `model` reads the report window (macros/test_window.sql): `compare_model` the same periods. -#}
    {%- set window = test_window_predicate(compare_group_by or group_by) %}
    with ours as (
        select {{ group_by }} as period, sum({{ column_name }}) as total
        from {{ model }} group by 1
    ),
    theirs as (
        select {{ compare_group_by or group_by }} as period, sum({{ compare_column }}) as total
        from {{ compare_model }}
        {% if window %}where {{ window }}{% endif %}
        group by 1
    )
    select *
    from ours full outer join theirs using (period)
    where ours.total is null or theirs.total is null
       or abs(ours.total - theirs.total) > 1e-6 * greatest(1, abs(ours.total))
{% endtest %}

{#- Every row satisfies a boolean SQL expression over its columns (rows where it is null fail). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not coalesce({{ expression }}, false)
{% endtest %}

{#- Every period the model holds has as many rows as its source holds for that period, over all
    history (the one test that never reads the window: macros/test_window.sql). A key can leave one
    quarter for another (a run whose created_at moved quarter): the quarter it left, until rebuilt,
    still counts it, so its rows outnumber its source's. Two group-bys on a date instead of one on
    the key: a uniqueness test of run_id over 125 M rows took ~25 s a build on a quiet machine. -#}
{% test rows_per_period_match_source(model, period, source_model, source_period) %}
    with ours as (select {{ period }} as period, count(*) as n from {{ model }} group by 1),
    theirs as (select {{ source_period }} as period, count(*) as n from {{ source_model }} group by 1)
    -- Periods the model holds only: a quarter loaded but not built yet is not a mismatch.
    select ours.period, ours.n as model_rows, theirs.n as source_rows
    from ours left join theirs using (period)
    where theirs.n is distinct from ours.n
{% endtest %}
