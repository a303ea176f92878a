-- One row per distinct saved source (code hash) with the third-party modules it imports.
with source as (
    select * from {{ source('code_imports', 'parsed_code') }}
),

renamed as (
    select
        code_hash,
        -- Sorted, unique top-level modules; the parser already left out the standard library.
        coalesce(modules, {{ empty_list('string') }}) as modules,
        {{ list_length('coalesce(modules, ' ~ empty_list('string') ~ ')') }} as module_count,
        method as parse_method,
        error as parse_error,
        source_bytes,
        parsed_at
    from source
)

select * from renamed
