-- One row per run of the report window and framework family it uses (PyTorch, TensorFlow, JAX,
-- scikit-learn, boosted trees; seed libraries.framework_family): the grouping of "run length by
-- framework". A run belongs to a family when it uses any library of it (torch, Lightning and
-- torchvision all say PyTorch; Keras says TensorFlow). A run importing torch and tensorflow counts
-- for both families, once each, and a run using no framework library has no row: families are
-- compared, not forced into one label per run.
-- A view for the reasons given in int_run_libraries; families are resolved per import signature.
with runs as (
    select run_id, user_id, quarter_start, code_hash, telemetry_imports, runtime_seconds, training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

signature_families as (
    select distinct code_hash, telemetry_imports, framework_family
    from {{ ref('int_import_signatures') }}
    where framework_family is not null
)

select
    runs.run_id,
    runs.user_id,
    runs.quarter_start,
    signature_families.framework_family,
    runs.runtime_seconds,
    runs.training_hours
from runs
join signature_families
    on runs.code_hash is not distinct from signature_families.code_hash
    and runs.telemetry_imports = signature_families.telemetry_imports
