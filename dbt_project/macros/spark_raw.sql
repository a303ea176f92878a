{#- Spark target only: the raw sources as Spark tables over Parquet files, one folder per source
    table, <path>/<schema>/<table>/ (written from the DuckDB raw tables by
    assets/ingest/export.py: the same rows DuckDB's models read). Run before `dbt build`:
        dbt run-operation register_raw_parquet --target spark --args '{path: /abs/raw_parquet}'
    Re-running replaces the table definitions; the files are never copied. -#}
{% macro register_raw_parquet(path) %}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error("register_raw_parquet is for the spark target; DuckDB reads raw.* directly") }}
    {%- endif -%}
    {%- for source in graph.sources.values() if source.package_name == project_name -%}
        {%- set location = path ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
        {% do run_query('create schema if not exists ' ~ source.schema) %}
        {% do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) %}
        {% do run_query("create table " ~ source.schema ~ "." ~ source.identifier ~ " using parquet location '" ~ location ~ "'") %}
        {{ log('registered ' ~ source.schema ~ '.' ~ source.identifier ~ ' <- ' ~ location, info=True) }}
    {%- endfor -%}
{% endmacro %}
