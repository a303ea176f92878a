-- The report's headline figures per quarter: active users, the countries they come from, runs
-- (all of them, anonymous included) and wall-clock training hours.
{{ config(**quarterly_incremental_config()) }}

select
    quarter_start,
    {{ quarter_label('quarter_start') }} as quarter_label,
    cast(count(distinct user_id) as bigint) as active_users,
    cast(count(distinct country_code) filter (where user_id is not null and country_code <> 'unknown') as bigint) as countries,
    cast(sum(runs) as bigint) as runs,
    cast(coalesce(sum(runs) filter (where user_id is null), 0) as bigint) as anonymous_runs,
    cast(sum(training_hours) as double) as training_hours
from {{ ref('int_user_quarter_demographics') }}
where {{ in_report_window('quarter_start') }}
group by quarter_start
