{#- The report window [start_date, end_date) of this invocation, validated before it reaches SQL:
    only ISO dates on quarter boundaries are accepted. The vars start_date/end_date when given
    (`dbt build --vars ...`), else the environment STATEOFML_START_DATE/STATEOFML_END_DATE (the
    pipeline's way: Warehouse.dbt_env), else all history. Read only when executing: every --vars
    value and every env var read while parsing is part of dbt's partial-parse state, so a window
    read at parse time made each run with a new window re-parse the whole project. Nothing parsed
    depends on the window (it is rendered into SQL and hooks at run time). -#}
{% macro report_window() %}
    {%- if not execute -%}
        {{ return({'start': '2020-01-01', 'end': '2100-01-01'}) }}
    {%- endif -%}
    {%- set start = var('start_date', env_var('STATEOFML_START_DATE', '2020-01-01')) | string -%}
    {%- set end = var('end_date', env_var('STATEOFML_END_DATE', '2100-01-01')) | string -%}
    {%- for d in [start, end] -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-(01|04|07|10)-01', d) -%}
            {{ exceptions.raise_compiler_error("report window bounds must be quarter starts like 2022-10-01, got '" ~ d ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if start >= end -%}
        {{ exceptions.raise_compiler_error("empty report window: start_date " ~ start ~ " >= end_date " ~ end) }}
    {%- endif -%}
    {{ return({'start': start, 'end': end}) }}
{% endmacro %}

{#- A predicate keeping the rows of `column` (a timestamp or date) inside the report window. -#}
{% macro in_report_window(column) -%}
    {%- set w = report_window() -%}
    ({{ column }} >= cast('{{ w.start }}' as date) and {{ column }} < cast('{{ w.end }}' as date))
{%- endmacro %}

{#- Pre-hook of the quarterly incremental models: delete the window's rows before appending the
    window again, in the same transaction, so a rerun replaces its quarters exactly (also when a
    quarter became empty, which a key-based delete+insert would miss). -#}
{% macro delete_report_window(column='quarter_start') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_report_window(column) }}
    {%- endif -%}
{%- endmacro %}

{#- Yearly models: the whole calendar years the report window touches. A yearly figure is
    recomputed from every loaded quarter of its year (distinct users of a year are not the sum
    of its quarters), whatever quarter triggered the run. -#}
{% macro report_years() %}
    {%- set w = report_window() -%}
    {%- set first_year = w.start[:4] | int -%}
    {%- set end_year = w.end[:4] | int if w.end[5:] == '01-01' else (w.end[:4] | int) + 1 -%}
    {{ return({'start': first_year ~ '-01-01', 'end': end_year ~ '-01-01'}) }}
{% endmacro %}

{% macro in_report_years(column) -%}
    {%- set y = report_years() -%}
    ({{ column }} >= cast('{{ y.start }}' as date) and {{ column }} < cast('{{ y.end }}' as date))
{%- endmacro %}

{#- Pre-hook of the yearly incremental models (rows keyed by year_start). -#}
{% macro delete_report_years(column='year_start') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_report_years(column) }}
    {%- endif -%}
{%- endmacro %}

{#- The config of every incremental model keyed by the report window, chosen per adapter in this
    one place: `{{ config(**quarterly_incremental_config()) }}` (or yearly_incremental_config()).
    DuckDB: append, after a pre-hook that deletes the window (same transaction; a quarter that
    became empty is emptied too). Spark (parquet tables, no DELETE; merge needs Delta/Iceberg):
    insert_overwrite partitioned by the key, which replaces exactly the partitions the run
    produces (dynamic partition overwrite). -#}
{% macro quarterly_incremental_config(column='quarter_start', delete_macro='delete_report_window') -%}
    {#- delete_macro: DuckDB's pre-hook, when a model rebuilds more than the window
        (e.g. delete_report_window_and_next); Spark replaces the partitions the run produced. -#}
    {{ return(adapter.dispatch('window_incremental_config', 'stateofml')(column, delete_macro)) }}
{%- endmacro %}

{% macro yearly_incremental_config(column='year_start') -%}
    {{ return(adapter.dispatch('window_incremental_config', 'stateofml')(column, 'delete_report_years')) }}
{%- endmacro %}

{% macro default__window_incremental_config(column, delete_macro) -%}
    {#- The hook is a string rendered when the model runs (is_incremental() is known then). -#}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'pre_hook': '{{ ' ~ delete_macro ~ '("' ~ column ~ '") }}',
    }) }}
{%- endmacro %}

{% macro spark__window_incremental_config(column, delete_macro) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [column],
        'file_format': 'parquet',
    }) }}
{%- endmacro %}
