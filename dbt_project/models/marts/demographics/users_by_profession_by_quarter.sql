-- Active users, runs and training hours per quarter by profession (academic, corporate, personal =
-- hobbyist, unknown; anonymous runs under unknown).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'quarter', ['profession']) }}
