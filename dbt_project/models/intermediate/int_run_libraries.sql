-- One row per run of the report window and library it uses: detected in its saved code, in its
-- client's telemetry, or both (the union of the two signals). Runs with neither have no row.
--
-- Libraries are resolved per distinct script (int_code_libraries) and per distinct telemetry list
-- (int_telemetry_libraries); per run there are only two hash joins and no aggregation:
-- * every library of the run's code, flagged as also in the telemetry when the run's list holds one
--   of the library's telemetry numbers;
-- * every library of the run's telemetry that its code does not import (telemetry only).
-- (An earlier version joined runs to distinct (code, telemetry) pairs: when the two vary
-- independently the pairs approach the number of runs; see bench/frameworks_models.py.)
--
-- A view, read once per window by the bridge fct_run_libraries, which persists it by quarter.
with runs as (
    select run_id, user_id, quarter_start, code_hash, telemetry_imports, runtime_seconds, training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

code_libraries as (
    select * from {{ ref('int_code_libraries') }}
),

-- One row per script: its libraries as a list, to leave out telemetry detections the code already has.
scripts as (
    select code_hash, {{ list_agg('library') }} as libraries from code_libraries group by code_hash
),

from_code as (
    select
        runs.*,
        code_libraries.library,
        code_libraries.category,
        code_libraries.framework_family,
        code_libraries.is_known_library,
        true as detected_in_code,
        {{ list_overlaps('runs.telemetry_imports', 'code_libraries.telemetry_ids') }} as detected_in_telemetry,
        true as has_code_imports
    from runs
    join code_libraries on runs.code_hash = code_libraries.code_hash
),

telemetry_only as (
    select
        runs.*,
        telemetry.library,
        telemetry.category,
        telemetry.framework_family,
        telemetry.is_known_library,
        false as detected_in_code,
        true as detected_in_telemetry,
        scripts.code_hash is not null as has_code_imports
    from runs
    join {{ ref('int_telemetry_libraries') }} as telemetry on runs.telemetry_imports = telemetry.telemetry_imports
    left join scripts on runs.code_hash = scripts.code_hash
    where not {{ list_contains('coalesce(scripts.libraries, ' ~ empty_list('string') ~ ')', 'telemetry.library') }}
),

detected as (
    select * from from_code
    union all
    select * from telemetry_only
)

select
    run_id,
    user_id,
    quarter_start,
    library,
    category,
    framework_family,
    is_known_library,
    detected_in_code,
    detected_in_telemetry,
    has_code_imports,
    -- staging turns a missing list into []: an empty list is no telemetry signal.
    {{ list_length('telemetry_imports') }} > 0 as has_telemetry_imports,
    runtime_seconds,
    training_hours
from detected
