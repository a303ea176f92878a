-- One row per active user and quarter: the one definition of "active user" (anyone with a run, a
-- sweep or an artifact in the quarter), which kinds of activity made them active, and their profile
-- as of that quarter. Every "active users" figure of the report is counted from these rows (a
-- year's distinct users too, never summed from quarters). Runs and hours are read from fct_runs,
-- not recounted from the raw runs.
{{ config(**quarterly_incremental_config()) }}

with runs as (
    select user_id, quarter_start, count(*) as runs, sum(training_hours) as training_hours
    from {{ ref('fct_runs') }}
    where {{ in_report_window('quarter_start') }} and user_id is not null
    group by user_id, quarter_start
),

sweeps as (
    select user_id, quarter_start, count(*) as sweeps
    from {{ ref('stg_tracking__sweeps') }}
    where {{ in_report_window('quarter_start') }} and user_id is not null
    group by user_id, quarter_start
),

artifacts as (
    select user_id, quarter_start, count(*) as artifacts
    from {{ ref('stg_tracking__artifacts') }}
    where {{ in_report_window('quarter_start') }} and user_id is not null
    group by user_id, quarter_start
),

active as (
    select user_id, quarter_start from runs
    union
    select user_id, quarter_start from sweeps
    union
    select user_id, quarter_start from artifacts
)

select
    active.quarter_start,
    {{ quarter_label('active.quarter_start') }} as quarter_label,
    active.user_id,
    {{ user_profile_columns('profiles') }},
    runs.user_id is not null as is_run_active,
    sweeps.user_id is not null as is_sweep_active,
    artifacts.user_id is not null as is_artifact_active,
    cast(coalesce(runs.runs, 0) as bigint) as runs,
    cast(coalesce(sweeps.sweeps, 0) as bigint) as sweeps,
    cast(coalesce(artifacts.artifacts, 0) as bigint) as artifacts,
    cast(coalesce(runs.training_hours, 0) as double) as training_hours
from active
left join runs on active.user_id = runs.user_id and active.quarter_start = runs.quarter_start
left join sweeps on active.user_id = sweeps.user_id and active.quarter_start = sweeps.quarter_start
left join artifacts on active.user_id = artifacts.user_id and active.quarter_start = artifacts.quarter_start
left join {{ ref('int_user_profiles') }} as profiles on active.user_id = profiles.user_id
