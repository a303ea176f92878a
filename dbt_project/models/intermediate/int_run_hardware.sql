-- One row per run of the report window with its classified hardware: GPU vendor / model /
-- family / generation / segment, GPU-count bucket, main accelerator and where it ran. A view:
-- it is read once per window, by int_user_quarter_hardware, which aggregates it to user grain.
with runs as (
    select
        run_id,
        user_id,
        quarter_start,
        training_hours,
        gpu_name,
        gpu_count,
        gpu_architecture,
        tpu,
        ipu_count,
        host,
        telemetry_env,
        {{ has_gpu('gpu_name', 'gpu_count', 'has_apple_gpu', 'telemetry_env') }} as has_gpu,
        -- A 2022 client wrote a gpuapple block without a chip name.
        gpu_name is null and (has_apple_gpu or list_contains(telemetry_env, 4)) as is_unnamed_apple
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

gpu_names as (
    select * from {{ ref('int_gpu_names') }}
)

select
    runs.run_id,
    runs.user_id,
    runs.quarter_start,
    runs.training_hours,
    runs.gpu_name,
    case
        when runs.gpu_name is not null then gpu_names.gpu_vendor
        when runs.is_unnamed_apple then 'Apple'
        else 'Unidentified'
    end as gpu_vendor,
    case
        when runs.gpu_name is not null then gpu_names.gpu_model
        when runs.is_unnamed_apple then 'Apple silicon (unnamed)'
        when runs.has_gpu then 'Unnamed GPU'
        else 'No GPU (CPU only or not probed)'
    end as gpu_model,
    case
        when runs.gpu_name is not null then gpu_names.gpu_family
        when runs.is_unnamed_apple then 'Apple silicon (unnamed)'
        when runs.has_gpu then 'Unnamed GPU'
        else 'No GPU (CPU only or not probed)'
    end as gpu_family,
    case
        when runs.gpu_name is not null then coalesce(gpu_names.gpu_generation, runs.gpu_architecture, 'Unknown')
        when runs.is_unnamed_apple then 'Apple silicon'
        when runs.has_gpu then coalesce(runs.gpu_architecture, 'Unknown')
        else 'None'
    end as gpu_generation,
    case
        when runs.gpu_name is not null then gpu_names.gpu_segment
        when runs.is_unnamed_apple then 'apple silicon'
        when runs.has_gpu then 'unknown'
        else 'none'
    end as gpu_segment,
    runs.gpu_count,
    {{ gpu_count_bucket('runs.gpu_count', 'runs.has_gpu') }} as gpu_count_bucket,
    {{ accelerator_type('runs.tpu', 'runs.ipu_count', 'runs.has_gpu') }} as accelerator,
    {{ compute_location('runs.host', 'runs.telemetry_env') }} as compute_location
from runs
left join gpu_names on runs.gpu_name = gpu_names.gpu_name
