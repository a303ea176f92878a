-- The report's headline figures per calendar year ("2022: 200,000 active users from almost 195
-- countries, 125 million runs"): distinct users and countries over the whole year (dim_users),
-- runs and hours (fct_runs), never summed from quarters.
{{ config(**yearly_incremental_config()) }}

with users as (
    select
        {{ year_start('quarter_start') }} as year_start,
        count(distinct quarter_start) as quarters_covered,
        count(distinct user_id) as active_users,
        count(distinct country_code) filter (where country_code <> 'unknown') as countries
    from {{ ref('dim_users') }}
    where {{ in_report_years('quarter_start') }}
    group by {{ year_start('quarter_start') }}
),

runs as (
    select
        {{ year_start('quarter_start') }} as year_start,
        count(distinct quarter_start) as quarters_covered,
        count(*) as runs,
        count(*) filter (where user_id is null) as anonymous_runs,
        sum(training_hours) as training_hours
    from {{ ref('fct_runs') }}
    where {{ in_report_years('quarter_start') }}
    group by {{ year_start('quarter_start') }}
),

yearly as (
    select
        coalesce(users.year_start, runs.year_start) as year_start,
        greatest(coalesce(users.quarters_covered, 0), coalesce(runs.quarters_covered, 0)) as quarters_covered,
        coalesce(users.active_users, 0) as active_users,
        coalesce(users.countries, 0) as countries,
        coalesce(runs.runs, 0) as runs,
        coalesce(runs.anonymous_runs, 0) as anonymous_runs,
        coalesce(runs.training_hours, 0) as training_hours
    from users
    full outer join runs on users.year_start = runs.year_start
)

select
    {{ period_columns('year') }},
    cast(active_users as bigint) as active_users,
    cast(countries as bigint) as countries,
    cast(runs as bigint) as runs,
    cast(anonymous_runs as bigint) as anonymous_runs,
    cast(training_hours as double) as training_hours
from yearly
