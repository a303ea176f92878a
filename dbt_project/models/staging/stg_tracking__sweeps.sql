with source as (
    select * from {{ source('tracking', 'sweeps') }}
),

renamed as (
    select
        sweep_id,
        user_id,
        project,
        created_at,
        {{ quarter_start('created_at') }} as quarter_start,
        lower(method) as method,
        updated_at
    from source
)

select * from renamed
