-- Active users, runs and training hours per year by profession (academic, corporate, personal =
-- hobbyist, unknown; anonymous runs under unknown).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_years() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'year', ['profession']) }}
