-- One row per run of the report window and library it uses: detected in its saved code, in its
-- client's telemetry, or both (the union of the two signals; see int_import_signatures for the
-- rules). Runs with neither signal have no row.
--
-- A view, deliberately: at full scale this is ~3 rows per run, ~90 M rows a quarter. Persisting it
-- incrementally means a DELETE+INSERT of ~90 M rows inside one ever-growing table per rerun, which
-- costs more in checkpointing than the insert and grows the file (docs: measured facts). Every
-- figure the report needs is either additive (users, runs, hours -> int_user_quarter_libraries,
-- a few hundred thousand rows a quarter) or a run-length distribution that merges across quarters
-- as a histogram (int_quarter_run_length_histogram); both read this view once per window.
with runs as (
    select run_id, user_id, quarter_start, code_hash, telemetry_imports, runtime_seconds, training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
)

select
    runs.run_id,
    runs.user_id,
    runs.quarter_start,
    signatures.library,
    signatures.category,
    signatures.framework_family,
    signatures.is_known_library,
    signatures.detected_in_code,
    signatures.detected_in_telemetry,
    signatures.has_code_imports,
    signatures.has_telemetry_imports,
    runs.runtime_seconds,
    runs.training_hours
from runs
join {{ ref('int_import_signatures') }} as signatures
    on runs.code_hash is not distinct from signatures.code_hash
    and runs.telemetry_imports = signatures.telemetry_imports
