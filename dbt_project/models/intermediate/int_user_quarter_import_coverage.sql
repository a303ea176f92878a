-- Per quarter and user: all runs and hours, and those whose libraries are known (their code or
-- telemetry named at least one import). The base of every library share: "PyTorch share of runs"
-- is of the runs whose imports we can see, so that a change in how many clients send telemetry or
-- save code does not read as a change in framework popularity. Also the detection coverage of the
-- method notes. Anonymous runs under user_id null.
{{ config(**quarterly_incremental_config()) }}

with runs as (
    select user_id, quarter_start, code_hash, telemetry_imports, training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

code_with_imports as (
    select code_hash from {{ ref('stg_code_imports__parsed_code') }} where module_count > 0
),

flagged as (
    select
        runs.user_id,
        runs.quarter_start,
        runs.training_hours,
        code_with_imports.code_hash is not null as has_code_imports,
        {{ list_length('runs.telemetry_imports') }} > 0 as has_telemetry_imports
    from runs
    left join code_with_imports on runs.code_hash = code_with_imports.code_hash
)

select
    quarter_start,
    user_id,
    count(*) as runs,
    sum(training_hours) as training_hours,
    count(*) filter (where has_code_imports) as runs_with_code_imports,
    count(*) filter (where has_telemetry_imports) as runs_with_telemetry_imports,
    count(*) filter (where has_code_imports and has_telemetry_imports) as runs_with_both_signals,
    count(*) filter (where has_code_imports or has_telemetry_imports) as runs_with_imports,
    coalesce(sum(training_hours) filter (where has_code_imports or has_telemetry_imports), 0) as training_hours_with_imports
from flagged
group by quarter_start, user_id
