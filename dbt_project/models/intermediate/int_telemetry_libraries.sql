-- The libraries each client telemetry import list flags: one row per distinct list sent by the
-- report window's runs (a few thousand) and library. Field number -> module (seed telemetry_imports)
-- -> library (seed libraries); a number the seed does not know (a client newer than the seed) is kept
-- as 'telemetry import <n>' in category 'other'. A table replaced whole at each invocation.
{{ config(materialized='table') }}

with lists as (
    select distinct telemetry_imports
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }} and {{ list_length('telemetry_imports') }} > 0
),

ids as (
    select telemetry_imports, {{ unnest_list('telemetry_imports') }} as import_id from lists
),

modules as (
    select
        ids.telemetry_imports,
        coalesce(telemetry.module, 'telemetry import ' || cast(ids.import_id as {{ dbt.type_string() }})) as module
    from ids
    left join {{ ref('telemetry_imports') }} as telemetry on ids.import_id = telemetry.import_id
),

libraries as (
    select module, library, category, nullif(framework_family, '') as framework_family
    from {{ ref('libraries') }}
)

select
    modules.telemetry_imports,
    coalesce(libraries.library, modules.module) as library,
    coalesce(any_value(libraries.category), 'other') as category,
    any_value(libraries.framework_family) as framework_family,
    bool_or(libraries.library is not null) as is_known_library
from modules
left join libraries on modules.module = libraries.module
group by modules.telemetry_imports, coalesce(libraries.library, modules.module)
