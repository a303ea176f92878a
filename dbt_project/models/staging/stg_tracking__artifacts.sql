with source as (
    select * from {{ source('tracking', 'artifacts') }}
),

renamed as (
    select
        artifact_id,
        user_id,
        run_id,
        project,
        lower(type) as artifact_type,
        created_at,
        {{ quarter_start('created_at') }} as quarter_start,
        size_bytes,
        updated_at
    from source
)

select * from renamed
