-- Corporate users, their runs and training hours per quarter by industry; shares are of corporate
-- users (the talk's 100% chart: high tech dominates, healthcare & life sciences grows fastest).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'quarter', ['industry'], where="profession = 'corporate'") }}
