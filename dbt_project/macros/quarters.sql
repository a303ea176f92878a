{#- Quarter arithmetic in SQL, mirroring stateofml/quarters.py (2022-10-01 <-> "2022 Q4"). -#}
{% macro quarter_start(ts) -%}
    cast(date_trunc('quarter', {{ ts }}) as date)
{%- endmacro %}

{% macro quarter_label(quarter_start_col) -%}
    (cast(extract(year from {{ quarter_start_col }}) as varchar) || ' Q' || cast(extract(quarter from {{ quarter_start_col }}) as varchar))
{%- endmacro %}

{% macro year_start(ts) -%}
    cast(date_trunc('year', {{ ts }}) as date)
{%- endmacro %}
