-- Active users per quarter and country, with the country's region (the rise of Asia).
{{ config(**quarterly_incremental_config()) }}

with activity as (
    select * from {{ ref('int_user_quarter_activity') }}
    where {{ in_report_window('quarter_start') }}
),

users as (
    select user_id, country_code from {{ ref('stg_tracking__users') }}
),

countries as (
    select * from {{ ref('countries') }}
),

-- A left join: users with no profile or no country are counted under "unknown", never dropped.
located as (
    select
        activity.*,
        coalesce(users.country_code, 'unknown') as country_code
    from activity
    left join users on activity.user_id = users.user_id
)

select
    located.quarter_start,
    located.quarter_label,
    located.country_code,
    coalesce(countries.country_name, 'Unknown') as country_name,
    coalesce(countries.region, 'Unknown') as region,
    coalesce(countries.subregion, 'Unknown') as subregion,
    count(distinct located.user_id) as active_users,
    -- bigint on every adapter (DuckDB sums integers to hugeint).
    cast(sum(located.runs) as bigint) as runs,
    sum(located.training_hours) as training_hours
from located
left join countries on located.country_code = countries.country_code
group by 1, 2, 3, 4, 5, 6
