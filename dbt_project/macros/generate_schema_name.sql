{#- Schemas named for the layer (staging, intermediate, marts, reference), not <target>_<layer>:
    analysts query `marts.active_users_by_country_by_quarter`, whatever the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
