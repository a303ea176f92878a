-- Runs and training hours per quarter, user and hardware set-up (GPU model, GPU-count bucket,
-- accelerator, compute location): the user grain every hardware mart counts from, quarterly and
-- yearly (distinct users of a year come from these rows, never from summing quarters).
-- Anonymous runs are kept with user_id null: they count in runs and hours, never as users.
-- The only scan of the runs for hardware; at full scale a few hundred thousand rows a quarter.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

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
    count(*) as runs,
    sum(training_hours) as training_hours
from {{ ref('int_run_hardware') }}
group by all
