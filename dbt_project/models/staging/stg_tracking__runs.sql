with source as (
    select * from {{ source('tracking', 'runs') }}
),

renamed as (
    select
        run_id,
        user_id,
        project,
        created_at,
        {{ quarter_start('created_at') }} as quarter_start,
        started_at,
        runtime_seconds,
        -- Wall-clock hours, not adjusted for processor strength or count (the talk's rule).
        coalesce(runtime_seconds, 0) / 3600.0 as training_hours,
        lower(coalesce(state, 'unknown')) as state,
        sweep_id,
        os,
        python_version,
        program,
        host,
        cpu_count,
        memory_total_gb,
        nullif(trim(gpu), '') as gpu_name,
        gpu_count,
        gpu_architecture,
        coalesce(gpu_apple, false) as has_apple_gpu,
        tpu,
        ipu_count,
        code_hash,
        client_version,
        coalesce(telemetry_imports, {{ empty_list('integer') }}) as telemetry_imports,
        coalesce(telemetry_env, {{ empty_list('integer') }}) as telemetry_env,
        coalesce(media_types, {{ empty_list('string') }}) as media_types,
        updated_at
    from source
)

select * from renamed
