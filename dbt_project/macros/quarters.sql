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
