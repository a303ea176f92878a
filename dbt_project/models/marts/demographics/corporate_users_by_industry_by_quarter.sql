-- Corporate users, their runs and training hours per quarter by industry; shares are of corporate
-- users (the talk's 100% chart: high tech dominates, healthcare & life sciences grows fastest).
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'quarter', ['industry'], where="profession = 'corporate'") }}
