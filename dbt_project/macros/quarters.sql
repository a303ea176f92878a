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
