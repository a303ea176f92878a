-- Active users, runs and training hours per year by profession (academic, corporate, personal =
-- hobbyist, unknown; anonymous runs under unknown).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['profession'], users_from_dim_users=true) }}
