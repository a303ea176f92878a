-- The report's headline figures per quarter: active users and the countries they come from
-- (dim_users), runs (all of them, anonymous included) and wall-clock training hours (fct_runs).
{{ config(**quarterly_incremental_config()) }}

with users as (
    select
        quarter_start,
        count(distinct user_id) as active_users,
        count(distinct country_code) filter (where country_code <> 'unknown') as countries
    from {{ ref('dim_users') }}
    where {{ in_report_window('quarter_start') }}
    group by quarter_start
),

runs as (
    select
        quarter_start,
        count(*) as runs,
        count(*) filter (where user_id is null) as anonymous_runs,
        sum(training_hours) as training_hours
    from {{ ref('fct_runs') }}
    where {{ in_report_window('quarter_start') }}
    group by quarter_start
)

select
    coalesce(users.quarter_start, runs.quarter_start) as quarter_start,
    {{ quarter_label('coalesce(users.quarter_start, runs.quarter_start)') }} as quarter_label,
    cast(coalesce(users.active_users, 0) as bigint) as active_users,
    cast(coalesce(users.countries, 0) as bigint) as countries,
    cast(coalesce(runs.runs, 0) as bigint) as runs,
    cast(coalesce(runs.anonymous_runs, 0) as bigint) as anonymous_runs,
    cast(coalesce(runs.training_hours, 0) as double) as training_hours
from users
full outer join runs on users.quarter_start = runs.quarter_start
