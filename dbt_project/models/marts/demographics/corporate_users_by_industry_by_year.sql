-- Corporate users, their runs and training hours per year by industry; shares are of corporate
-- users (the talk's 100% chart: high tech dominates, healthcare & life sciences grows fastest).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['industry'], where="profession = 'corporate'", users_from_dim_users=true) }}
