-- One row per run of the report window with what its environment says about the hardware: the
-- GPU name as written, the GPU-count bucket, the main accelerator and where it ran (the rules are
-- macros in macros/hardware.sql, checked by unit tests). Only cheap per-row expressions: the GPU
-- name is classified after aggregation (int_user_quarter_hardware), on far fewer rows. A view,
-- read once per window.
select
    run_id,
    user_id,
    quarter_start,
    training_hours,
    gpu_name,
    gpu_architecture,
    {{ has_gpu('gpu_name', 'gpu_count', 'has_apple_gpu', 'telemetry_env') }} as has_gpu,
    -- A 2022 client wrote a gpuapple block without a chip name.
    gpu_name is null and (has_apple_gpu or {{ list_contains('telemetry_env', 4) }}) as is_unnamed_apple,
    gpu_count,
    {{ gpu_count_bucket('gpu_count', has_gpu('gpu_name', 'gpu_count', 'has_apple_gpu', 'telemetry_env')) }} as gpu_count_bucket,
    {{ accelerator_type('tpu', 'ipu_count', has_gpu('gpu_name', 'gpu_count', 'has_apple_gpu', 'telemetry_env')) }} as accelerator,
    {{ compute_location('host', 'telemetry_env') }} as compute_location
from {{ ref('stg_tracking__runs') }}
where {{ in_report_window('created_at') }}
