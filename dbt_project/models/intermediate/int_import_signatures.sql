-- The libraries a run uses, resolved once per distinct import signature instead of once per run.
--
-- Both signals are functions of two run columns with few distinct values: the saved code's hash
-- (runs share scripts: a few % of a quarter's 31 M runs are distinct) and the client's telemetry
-- import list (a few thousand distinct lists). So the signatures (code_hash, telemetry_imports) of
-- the report window's runs are collected once, their modules looked up, mapped to libraries and the
-- two signals unioned here, in a table of a few million rows at full scale; the run-grain views
-- (int_run_libraries, int_run_framework_families) are a plain join of the runs to it.
--
-- A table replaced whole at every invocation (it holds the signatures of the current report window
-- only, like the window-filtered views that read it): cheap to rewrite, never grows.
--
-- Rules:
-- * code signal: the modules the parser found in the saved code (code_imports.parsed_code);
-- * telemetry signal: the client's `Imports` field numbers -> module (seed telemetry_imports);
-- * module -> library, category, framework family (seed libraries). A module the seed does not know
--   is kept under its own name with category 'other' (never dropped); a telemetry number the seed
--   does not know (a newer client) likewise, as 'telemetry import <n>';
-- * a library is detected in a signal when any of its modules is (pytorch_lightning or lightning
--   -> Lightning); the run uses it when either signal detects it (the union).
{{ config(materialized='table') }}

with runs as (
    select code_hash, telemetry_imports
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

signatures as (
    select distinct code_hash, telemetry_imports from runs
),

libraries as (
    select module, library, category, nullif(framework_family, '') as framework_family
    from {{ ref('libraries') }}
),

code_modules as (
    select parsed.code_hash, {{ unnest_list('parsed.modules') }} as module
    from {{ ref('stg_code_imports__parsed_code') }} as parsed
    where parsed.code_hash in (select code_hash from signatures)
),

telemetry_lists as (
    select distinct telemetry_imports from signatures where {{ list_length('telemetry_imports') }} > 0
),

telemetry_ids as (
    select telemetry_imports, {{ unnest_list('telemetry_imports') }} as import_id from telemetry_lists
),

telemetry_modules as (
    select
        telemetry_ids.telemetry_imports,
        coalesce(seed.module, 'telemetry import ' || cast(telemetry_ids.import_id as {{ dbt.type_string() }})) as module
    from telemetry_ids
    left join {{ ref('telemetry_imports') }} as seed on telemetry_ids.import_id = seed.import_id
),

detections as (
    select signatures.code_hash, signatures.telemetry_imports, code_modules.module, true as in_code, false as in_telemetry
    from signatures
    join code_modules on signatures.code_hash = code_modules.code_hash
    union all
    select signatures.code_hash, signatures.telemetry_imports, telemetry_modules.module, false, true
    from signatures
    join telemetry_modules on signatures.telemetry_imports = telemetry_modules.telemetry_imports
),

-- Whether each signal said anything at all: agreement is only measured where both did.
code_signal as (
    select code_hash, true as has_code_imports from code_modules group by code_hash
)

select
    detections.code_hash,
    detections.telemetry_imports,
    coalesce(libraries.library, detections.module) as library,
    coalesce(libraries.category, 'other') as category,
    -- One value per library (the seed check guarantees it); any_value just carries it through.
    any_value(libraries.framework_family) as framework_family,
    libraries.library is not null as is_known_library,
    bool_or(detections.in_code) as detected_in_code,
    bool_or(detections.in_telemetry) as detected_in_telemetry,
    coalesce(any_value(code_signal.has_code_imports), false) as has_code_imports,
    {{ list_length('detections.telemetry_imports') }} > 0 as has_telemetry_imports
from detections
left join libraries on detections.module = libraries.module
left join code_signal on detections.code_hash = code_signal.code_hash
group by
    detections.code_hash,
    detections.telemetry_imports,
    coalesce(libraries.library, detections.module),
    coalesce(libraries.category, 'other'),
    libraries.library is not null
