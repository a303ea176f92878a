-- The report's headline figures per calendar year ("2022: 200,000 active users from almost 195
-- countries, 125 million runs"): distinct users and countries over the whole year, counted from
-- user-grain rows, never summed from quarters.
{{ config(**yearly_incremental_config()) }}

with loaded as (
    select *, {{ year_start('quarter_start') }} as year_start
    from {{ ref('int_user_quarter_demographics') }}
    where {{ in_report_years('quarter_start') }}
),

yearly as (
    select
        year_start,
        count(distinct quarter_start) as quarters_covered,
        count(distinct user_id) as active_users,
        count(distinct country_code) filter (where user_id is not null and country_code <> 'unknown') as countries,
        sum(runs) as runs,
        coalesce(sum(runs) filter (where user_id is null), 0) as anonymous_runs,
        sum(training_hours) as training_hours
    from loaded
    group by year_start
)

select
    year_start,
    cast(extract(year from year_start) as integer) as year,
    {{ year_label('year_start', 'quarters_covered') }} as year_label,
    cast(quarters_covered as integer) as quarters_covered,
    cast(active_users as bigint) as active_users,
    cast(countries as bigint) as countries,
    cast(runs as bigint) as runs,
    cast(anonymous_runs as bigint) as anonymous_runs,
    cast(training_hours as double) as training_hours
from yearly
