-- Corporate users, their runs and training hours per year by industry; shares are of corporate
-- users (the talk's 100% chart: high tech dominates, healthcare & life sciences grows fastest).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_years() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'year', ['industry'], where="profession = 'corporate'") }}
