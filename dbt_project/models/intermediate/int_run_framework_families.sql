-- One row per run of the report window and framework family it uses (PyTorch, TensorFlow, JAX,
-- scikit-learn, boosted trees; seed libraries.framework_family): the grouping of "run length by
-- framework". A run belongs to a family when it uses any library of it, by either signal (torch,
-- Lightning and torchvision all say PyTorch; Keras says TensorFlow). A run importing torch and
-- tensorflow counts for both families, once each; a run using no framework library has no row:
-- families are compared, not forced into one label per run.
-- Families are resolved per script and per telemetry list; per run, the two lists are merged and
-- unnested (no per-run aggregation). A view for the reasons given in int_run_libraries.
with runs as (
    select run_id, user_id, quarter_start, code_hash, telemetry_imports, runtime_seconds, training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

script_families as (
    select code_hash, {{ list_agg('framework_family', distinct=true) }} as families
    from {{ ref('int_code_libraries') }}
    where framework_family is not null
    group by code_hash
),

telemetry_families as (
    select telemetry_imports, {{ list_agg('framework_family', distinct=true) }} as families
    from {{ ref('int_telemetry_libraries') }}
    where framework_family is not null
    group by telemetry_imports
),

merged as (
    select
        runs.run_id,
        runs.user_id,
        runs.quarter_start,
        runs.runtime_seconds,
        runs.training_hours,
        {{ list_distinct(list_concat('coalesce(script_families.families, ' ~ empty_list('string') ~ ')',
                                     'coalesce(telemetry_families.families, ' ~ empty_list('string') ~ ')')) }} as families
    from runs
    left join script_families on runs.code_hash = script_families.code_hash
    left join telemetry_families on runs.telemetry_imports = telemetry_families.telemetry_imports
    where script_families.code_hash is not null or telemetry_families.telemetry_imports is not null
)

select
    run_id,
    user_id,
    quarter_start,
    {{ unnest_list('families') }} as framework_family,
    runtime_seconds,
    training_hours
from merged
