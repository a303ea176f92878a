{#- The profile columns of fct_runs and dim_users from a left join to int_user_profiles (`alias`):
    a user without a profile, or an anonymous run, is "unknown", never dropped. One definition, so
    the run and the user grain cannot disagree. -#}
{% macro user_profile_columns(alias) -%}
    coalesce({{ alias }}.country_code, 'unknown') as country_code,
    coalesce({{ alias }}.country_name, 'Unknown') as country_name,
    coalesce({{ alias }}.region, 'Unknown') as region,
    coalesce({{ alias }}.subregion, 'Unknown') as subregion,
    coalesce({{ alias }}.profession, 'unknown') as profession,
    {{ alias }}.industry as industry
{%- endmacro %}
