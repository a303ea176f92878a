-- Active users, runs and training hours per quarter by profession (academic, corporate, personal =
-- hobbyist, unknown; anonymous runs under unknown).
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'quarter', ['profession']) }}
