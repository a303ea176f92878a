-- One row per run: the fact every mart of the report aggregates, and the table an analyst cuts by
-- any mix of dimensions (country x framework x GPU model ...). Computed once per quarter: the GPU
-- name is classified per distinct name (int_gpu_names), the frameworks per distinct script and per
-- distinct telemetry list (int_code_libraries, int_telemetry_libraries), so per run there are only
-- hash joins on small build sides. The run's libraries, with the signal each came from, are the
-- bridge fct_run_libraries. Anonymous runs are kept (user_id null, profile "unknown").
{{ config(**quarterly_incremental_config()) }}

with runs as (
    select
        *,
        {{ has_gpu('gpu_name', 'gpu_count', 'has_apple_gpu', 'telemetry_env') }} as has_gpu,
        -- A 2022 client wrote a gpuapple block without a chip name.
        gpu_name is null and (has_apple_gpu or {{ list_contains('telemetry_env', 4) }}) as is_unnamed_apple,
        {{ compute_location('host', 'telemetry_env') }} as compute_location
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

-- Family and model of a run without a GPU name: one placeholder for both columns.
unnamed_gpus as (
    select
        *,
        case
            when is_unnamed_apple then 'Apple silicon (unnamed)'
            when has_gpu then 'Unnamed GPU'
            else 'No GPU (CPU only or not probed)'
        end as unnamed_gpu
    from runs
),

code_with_imports as (
    select code_hash from {{ ref('stg_code_imports__parsed_code') }} where module_count > 0
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
)

select
    runs.run_id,
    runs.quarter_start,
    runs.created_at,
    runs.started_at,
    runs.user_id,
    {{ user_profile_columns('profiles') }},
    runs.state,
    runs.runtime_seconds,
    runs.training_hours,
    runs.sweep_id,
    case
        when runs.gpu_name is not null then gpu_names.gpu_vendor
        when runs.is_unnamed_apple then 'Apple'
        else 'Unidentified'
    end as gpu_vendor,
    case when runs.gpu_name is not null then gpu_names.gpu_family else runs.unnamed_gpu end as gpu_family,
    case when runs.gpu_name is not null then gpu_names.gpu_model else runs.unnamed_gpu end as gpu_model,
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
    coalesce(gpu_names.gpu_segment = 'laptop', false) as is_laptop_gpu,
    runs.gpu_count,
    {{ gpu_count_bucket('runs.gpu_count', 'runs.has_gpu') }} as gpu_count_bucket,
    {{ gpu_count_bucket_order(gpu_count_bucket('runs.gpu_count', 'runs.has_gpu')) }} as gpu_count_bucket_order,
    {{ accelerator_type('runs.tpu', 'runs.ipu_count', 'runs.has_gpu') }} as accelerator,
    runs.compute_location,
    runs.compute_location in ('AWS', 'Google Cloud', 'Azure', 'Colab', 'Kaggle') as is_cloud,
    -- Sorted, distinct per run after normalizing (a type logged under several keys counts once); none = scalars only.
    case when {{ list_length('runs.media_types') }} = 0 then {{ list_of(["'none'"]) }}
         else {{ list_sort(list_distinct(list_transform('runs.media_types', 'm', 'lower(trim(m))'))) }} end as media_types,
    -- Framework families (PyTorch, TensorFlow, JAX, scikit-learn, boosted trees) by either signal;
    -- the libraries themselves, and which signal saw each, are in fct_run_libraries.
    {{ list_sort(list_distinct(list_concat('coalesce(script_families.families, ' ~ empty_list('string') ~ ')',
                                           'coalesce(telemetry_families.families, ' ~ empty_list('string') ~ ')'))) }} as framework_families,
    code_with_imports.code_hash is not null as has_code_imports,
    -- staging turns a missing list into []: an empty list is no telemetry signal.
    {{ list_length('runs.telemetry_imports') }} > 0 as has_telemetry_imports
from unnamed_gpus as runs
left join {{ ref('int_user_profiles') }} as profiles on runs.user_id = profiles.user_id
left join {{ ref('int_gpu_names') }} as gpu_names on runs.gpu_name = gpu_names.gpu_name
left join code_with_imports on runs.code_hash = code_with_imports.code_hash
left join script_families on runs.code_hash = script_families.code_hash
left join telemetry_families on runs.telemetry_imports = telemetry_families.telemetry_imports
