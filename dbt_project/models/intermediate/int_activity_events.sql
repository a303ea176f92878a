-- Every activity that makes a user active, as the talk defines it: a run, a sweep or an
-- artifact (versioned data or model). One row per event; anonymous events are left out here
-- because they belong to no user (they still count as runs in the run-level marts).
with runs as (
    select user_id, quarter_start, 'run' as activity, training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('quarter_start') }}
),

sweeps as (
    select user_id, quarter_start, 'sweep' as activity, 0.0 as training_hours
    from {{ ref('stg_tracking__sweeps') }}
    where {{ in_report_window('quarter_start') }}
),

artifacts as (
    select user_id, quarter_start, 'artifact' as activity, 0.0 as training_hours
    from {{ ref('stg_tracking__artifacts') }}
    where {{ in_report_window('quarter_start') }}
)

select * from runs where user_id is not null
union all
select * from sweeps where user_id is not null
union all
select * from artifacts where user_id is not null
