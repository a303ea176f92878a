-- Active users (anyone with a run, a sweep or an artifact in the quarter), runs and training
-- hours per quarter and country of the user's profile, with the country's region (the rise of
-- Asia). Users without a known country, and anonymous runs, are under "unknown".
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown('quarter', ['country_code', 'country_name', 'region', 'subregion'], users_from_dim_users=true) }}
