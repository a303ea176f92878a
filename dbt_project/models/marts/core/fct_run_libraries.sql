-- The bridge from runs to the libraries they use: one row per run and library, detected in the
-- run's saved code, in its client's telemetry, or both (detected_by). A bridge rather than a list
-- column of structs: DuckDB and Spark both join and group it the same way. Carries the run's keys
-- and measures (quarter, user, runtime, hours) so that library marts never join back to fct_runs;
-- cut by any other run dimension with a join on run_id.
{{ config(**quarterly_incremental_config()) }}

select
    run_id,
    quarter_start,
    user_id,
    library,
    category,
    framework_family,
    is_known_library,
    detected_in_code,
    detected_in_telemetry,
    case
        when detected_in_code and detected_in_telemetry then 'both'
        when detected_in_code then 'code'
        else 'telemetry'
    end as detected_by,
    has_code_imports,
    has_telemetry_imports,
    runtime_seconds,
    training_hours
from {{ ref('int_run_libraries') }}
