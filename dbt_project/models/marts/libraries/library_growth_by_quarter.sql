-- Quarter-over-quarter growth of every library (Q4 2022 vs Q3 2022 in the talk; here each quarter
-- vs the one before): active users, runs and hours, and their ratios, for every library. Which
-- libraries are ranked (a ratio of a handful of users is noise) is the chart's decision, with a
-- threshold that scales with the quarter's users: one definition, growth_threshold in
-- assets/charts/libraries.py; the mart keeps every ratio so an analyst can choose another.
-- Rebuilt for the window and the quarter after it (whose growth divides by the window's last quarter).
{{ config(**quarterly_incremental_config(delete_macro='delete_report_window_and_next')) }}

{%- set w = report_window() %}

with loaded_quarters as (
    select distinct quarter_start
    from {{ ref('fct_runs') }}
    -- The window, the quarter before it (the first one's previous) and the quarter after it.
    where quarter_start >= cast(cast('{{ w.start }}' as date) - interval 3 month as date)
      and quarter_start <= cast('{{ w.end }}' as date)
),

per_quarter as (
    select
        quarter_start,
        library,
        category,
        is_known_library,
        count(distinct user_id) as active_users,
        count(*) as runs,
        sum(training_hours) as training_hours
    from {{ ref('fct_run_libraries') }}
    where quarter_start in (select quarter_start from loaded_quarters)
    group by quarter_start, library, category, is_known_library
),

-- The quarters whose growth is (re)computed: those of the window and the next, when loaded.
target_quarters as (
    select
        quarter_start,
        cast(quarter_start - interval 3 month as date) as previous_quarter_start,
        cast(quarter_start - interval 3 month as date) in (select quarter_start from loaded_quarters) as previous_quarter_loaded
    from loaded_quarters
    where {{ in_report_window_and_next('quarter_start') }}
),

-- Libraries seen in either quarter: one that vanished has a row with 0 users now.
pairs as (
    select distinct target_quarters.quarter_start, target_quarters.previous_quarter_start,
           target_quarters.previous_quarter_loaded, per_quarter.library, per_quarter.category, per_quarter.is_known_library
    from target_quarters
    join per_quarter
      on per_quarter.quarter_start in (target_quarters.quarter_start, target_quarters.previous_quarter_start)
),

compared as (
    select
        pairs.*,
        coalesce(cur.active_users, 0) as active_users,
        coalesce(cur.runs, 0) as runs,
        coalesce(cur.training_hours, 0) as training_hours,
        -- Null, not 0, when the previous quarter is not loaded: unknown is not "no users".
        case when pairs.previous_quarter_loaded then coalesce(prev.active_users, 0) end as previous_active_users,
        case when pairs.previous_quarter_loaded then coalesce(prev.runs, 0) end as previous_runs,
        case when pairs.previous_quarter_loaded then coalesce(prev.training_hours, 0) end as previous_training_hours
    from pairs
    left join per_quarter as cur
      on cur.quarter_start = pairs.quarter_start and cur.library = pairs.library
    left join per_quarter as prev
      on prev.quarter_start = pairs.previous_quarter_start and prev.library = pairs.library
),

ratios as (
    select
        *,
        -- No ratio from zero, nor without a loaded previous quarter (null counts).
        case when previous_active_users > 0 then active_users / previous_active_users end as user_growth,
        case when previous_runs > 0 then runs / previous_runs end as run_growth,
        case when previous_training_hours > 0 then training_hours / previous_training_hours end as hour_growth
    from compared
)

select
    quarter_start,
    {{ quarter_label('quarter_start') }} as quarter_label,
    previous_quarter_start,
    library,
    category,
    is_known_library,
    cast(active_users as bigint) as active_users,
    cast(previous_active_users as bigint) as previous_active_users,
    cast(runs as bigint) as runs,
    cast(previous_runs as bigint) as previous_runs,
    cast(training_hours as double) as training_hours,
    cast(previous_training_hours as double) as previous_training_hours,
    cast(user_growth as double) as user_growth,
    cast(run_growth as double) as run_growth,
    cast(hour_growth as double) as hour_growth
from ratios
