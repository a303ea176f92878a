with source as (
    select * from {{ source('tracking', 'users') }}
),

renamed as (
    select
        user_id,
        signup_at,
        -- ISO alpha-2, upper case; anything else is unknown rather than a bogus country.
        case when {{ regexp_full_match('upper(trim(country_code))', '[A-Z]{2}') }}
             then upper(trim(country_code)) end as country_code,
        case lower(trim(profession))
            when 'academic' then 'academic'
            when 'corporate' then 'corporate'
            when 'personal' then 'personal'
            when 'hobbyist' then 'personal'
            else 'unknown'
        end as profession,
        -- Industry only means something for corporate users.
        case when lower(trim(profession)) = 'corporate'
             then coalesce(nullif(trim(industry), ''), 'Unknown') end as industry,
        updated_at
    from source
)

select * from renamed
