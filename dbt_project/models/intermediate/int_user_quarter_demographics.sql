-- One row per active user and quarter with the user's profile (country and its region,
-- profession, industry), runs and training hours, plus one row per quarter for the anonymous
-- runs (user_id null, everything "unknown"): the grain of every demographic and headline mart, so
-- that runs and hours by country or profession add up to all runs, anonymous ones included.
-- The profile is the one loaded when the quarter was built (profiles are a snapshot).
{{ config(**quarterly_incremental_config()) }}

with activity as (
    select user_id, quarter_start, runs, training_hours
    from {{ ref('int_user_quarter_activity') }}
    where {{ in_report_window('quarter_start') }}
),

-- int_user_quarter_hardware already aggregates every run of the quarter: no second scan of runs.
anonymous as (
    select cast(null as {{ dbt.type_string() }}) as user_id, quarter_start, sum(runs) as runs, sum(training_hours) as training_hours
    from {{ ref('int_user_quarter_hardware') }}
    where user_id is null and {{ in_report_window('quarter_start') }}
    group by quarter_start
),

people as (
    select * from activity
    union all
    select * from anonymous
),

users as (
    select user_id, country_code, profession, industry from {{ ref('stg_tracking__users') }}
),

countries as (
    select * from {{ ref('countries') }}
)

-- Left joins: users with no profile or no country are counted under "unknown", never dropped.
select
    people.quarter_start,
    people.user_id,
    coalesce(users.country_code, 'unknown') as country_code,
    coalesce(countries.country_name, 'Unknown') as country_name,
    coalesce(countries.region, 'Unknown') as region,
    coalesce(countries.subregion, 'Unknown') as subregion,
    coalesce(users.profession, 'unknown') as profession,
    users.industry,
    cast(people.runs as bigint) as runs,
    cast(people.training_hours as double) as training_hours
from people
left join users on people.user_id = users.user_id
left join countries on users.country_code = countries.country_code
