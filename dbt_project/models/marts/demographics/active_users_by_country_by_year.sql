-- Active users, runs and training hours per calendar year and country of the user's profile,
-- with the country's region and subregion: distinct users over the year, from user-grain rows.
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['country_code', 'country_name', 'region', 'subregion'], users_from_dim_users=true) }}
