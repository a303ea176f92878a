-- Corporate users, their runs and training hours per year by industry; shares are of corporate
-- users (the talk's 100% chart: high tech dominates, healthcare & life sciences grows fastest).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_demographics'), 'year', ['industry'], where="profession = 'corporate'") }}
