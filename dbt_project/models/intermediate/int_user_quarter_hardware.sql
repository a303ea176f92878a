-- Runs and training hours per quarter, user and hardware set-up (GPU vendor / model / family /
-- generation / segment, GPU-count bucket, accelerator, compute location): the user grain every
-- hardware mart counts from, quarterly and yearly (distinct users of a year come from these rows,
-- never from summing quarters). Anonymous runs are kept with user_id null: they count in runs and
-- hours, never as users. The only scan of the runs for hardware; at full scale a few hundred
-- thousand rows a quarter.
{{ config(**quarterly_incremental_config()) }}

-- Aggregate first on the raw GPU name (31 M runs -> about a row per user and set-up), then
-- classify: joining and grouping by ten derived strings per run cost several times more.
with set_ups as (
    select
        quarter_start,
        user_id,
        gpu_name,
        gpu_architecture,
        has_gpu,
        is_unnamed_apple,
        gpu_count_bucket,
        accelerator,
        compute_location,
        count(*) as runs,
        sum(training_hours) as training_hours
    from {{ ref('int_run_hardware') }}
    group by all
),

gpu_names as (
    select * from {{ ref('int_gpu_names') }}
),

classified as (
    select
        set_ups.quarter_start,
        set_ups.user_id,
        case
            when set_ups.gpu_name is not null then gpu_names.gpu_vendor
            when set_ups.is_unnamed_apple then 'Apple'
            else 'Unidentified'
        end as gpu_vendor,
        case
            when set_ups.gpu_name is not null then gpu_names.gpu_model
            when set_ups.is_unnamed_apple then 'Apple silicon (unnamed)'
            when set_ups.has_gpu then 'Unnamed GPU'
            else 'No GPU (CPU only or not probed)'
        end as gpu_model,
        case
            when set_ups.gpu_name is not null then gpu_names.gpu_family
            when set_ups.is_unnamed_apple then 'Apple silicon (unnamed)'
            when set_ups.has_gpu then 'Unnamed GPU'
            else 'No GPU (CPU only or not probed)'
        end as gpu_family,
        case
            when set_ups.gpu_name is not null then coalesce(gpu_names.gpu_generation, set_ups.gpu_architecture, 'Unknown')
            when set_ups.is_unnamed_apple then 'Apple silicon'
            when set_ups.has_gpu then coalesce(set_ups.gpu_architecture, 'Unknown')
            else 'None'
        end as gpu_generation,
        case
            when set_ups.gpu_name is not null then gpu_names.gpu_segment
            when set_ups.is_unnamed_apple then 'apple silicon'
            when set_ups.has_gpu then 'unknown'
            else 'none'
        end as gpu_segment,
        set_ups.gpu_count_bucket,
        set_ups.accelerator,
        set_ups.compute_location,
        set_ups.runs,
        set_ups.training_hours
    from set_ups
    left join gpu_names on set_ups.gpu_name = gpu_names.gpu_name
)

-- Several names can be one model ("NVIDIA A100-SXM4-40GB", "A100-SXM4-40GB"): merge them.
select
    quarter_start,
    user_id,
    gpu_vendor,
    gpu_model,
    gpu_family,
    gpu_generation,
    gpu_segment,
    gpu_count_bucket,
    {{ gpu_count_bucket_order('gpu_count_bucket') }} as gpu_count_bucket_order,
    accelerator,
    compute_location,
    cast(sum(runs) as bigint) as runs,
    sum(training_hours) as training_hours
from classified
group by all
