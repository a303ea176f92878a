-- The libraries each saved script imports: one row per code hash used by the report window's runs
-- and library, resolved once per distinct script (a few % of a quarter's 31 M runs), never per run.
--
-- module -> library, category, framework family through seed libraries; two modules of one library
-- (pytorch_lightning, lightning) make one row; a module the seed does not know is kept under its own
-- name in category 'other' (never dropped). telemetry_ids lists the client telemetry numbers that
-- flag the same library, so a run's two signals are compared without a per-run aggregation.
--
-- A table replaced whole at each invocation: it holds the current window's scripts only (like the
-- window-filtered views that read it), so it never grows and costs one pass over the parsed code.
{{ config(materialized='table') }}

with window_hashes as (
    select distinct code_hash
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }} and code_hash is not null
),

modules as (
    select parsed.code_hash, {{ unnest_list('parsed.modules') }} as module
    from {{ ref('stg_code_imports__parsed_code') }} as parsed
    where parsed.code_hash in (select code_hash from window_hashes)
),

libraries as (
    select module, library, category, nullif(framework_family, '') as framework_family
    from {{ ref('libraries') }}
),

library_telemetry_ids as (
    select libraries.library, {{ list_agg('telemetry.import_id', sorted=true) }} as telemetry_ids
    from {{ ref('telemetry_imports') }} as telemetry
    join libraries on telemetry.module = libraries.module
    group by libraries.library
)

select
    modules.code_hash,
    coalesce(libraries.library, modules.module) as library,
    coalesce(any_value(libraries.category), 'other') as category,
    -- One category and family per library (checked on the seed): any_value carries them through.
    any_value(libraries.framework_family) as framework_family,
    bool_or(libraries.library is not null) as is_known_library,
    coalesce(any_value(library_telemetry_ids.telemetry_ids), {{ empty_list('integer') }}) as telemetry_ids
from modules
left join libraries on modules.module = libraries.module
left join library_telemetry_ids on libraries.library = library_telemetry_ids.library
group by modules.code_hash, coalesce(libraries.library, modules.module)
