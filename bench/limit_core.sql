-- (b2) of bench/scale.py: a fair limit for the whole quarterly job, hand-written DuckDB SQL.
--
-- From the landing Parquet files of one quarter it computes what the pipeline computes for the
-- report's core and two of its marts: the run-level core (fct_runs, fct_run_libraries, dim_users)
-- and from it the headline (headline_by_quarter) and the country mart
-- (active_users_by_country_by_quarter). The same work as the pipeline's, without Dagster or dbt:
-- * the ingestion's rules (assets/ingest/load.py): each record failing a quarantine rule is left
--   out, then one version per key (newest coalesce(updated_at, event time), then the file name that
--   sorts last, then the last row); the same file delivered twice is one more version of each key;
-- * the staging and intermediate models (profiles as loaded, GPU names classified per distinct
--   name, libraries per distinct script and per distinct telemetry list) and the core and marts
--   (dbt_project/models), with the same lookups (the seeds).
-- Not repeated here: the Python import detection (ast). The script reads its result, the view
-- parsed_code (code_hash, modules), which scale.py computes beforehand with the pipeline's own
-- parser and times on its own.
--
-- scale.py defines before running it: the views landing_runs, landing_sweeps, landing_artifacts
-- (the quarter's files) and landing_users (all of them), each with filename and file_row_number;
-- seed_countries, seed_gpu_models, seed_libraries, seed_telemetry_imports (dbt_project/seeds);
-- parsed_code; the variables quarter_start, quarter_end (dates) and not_after (timestamp: now plus
-- the ingestion's tolerance for clock drift) and max_gpu_count. Timestamps are naive UTC, as in the warehouse.

set TimeZone = 'UTC';

create or replace temp macro folder_day(f) as
    try_cast(regexp_extract(f, 'date=([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]*$', 1) as date);

create schema if not exists core;
create schema if not exists marts;

-- -- raw: the quarter's runs, sweeps and artifacts and the users' profiles, validated and deduplicated

-- Runs failing a rule are left out (the rules of _reasons_sql: a null rule is no failure).
create or replace temp macro run_is_good(run_id, created_at, started_at, updated_at, runtime_seconds, memory_total_gb,
                                         gpu_count, filename) as (case
    when run_id is null or trim(run_id) = '' then 1
    when created_at is null then 1
    when created_at > getvariable('not_after') or started_at > getvariable('not_after')
      or updated_at > getvariable('not_after') then 1
    when created_at::date is distinct from folder_day(filename) then 1
    when not isfinite(runtime_seconds) or not isfinite(memory_total_gb) then 1
    when runtime_seconds < 0 then 1
    when gpu_count < 0 or gpu_count > getvariable('max_gpu_count') then 1
end) is null;

-- The older versions of the runs delivered more than once: as the ingestion does, only the keys
-- seen more than once are ranked (a window over every run costs more), on a narrow scan.
create or replace temp table superseded_runs as
with versions as (
    select run_id, coalesce(updated_at, created_at) as version, filename, file_row_number
    from landing_runs
    where run_is_good(run_id, created_at at time zone 'UTC', started_at at time zone 'UTC', updated_at at time zone 'UTC',
                      runtime_seconds, memory_total_gb, gpu_count, filename)
),
repeated as (select run_id from versions group by run_id having count(*) > 1)
select filename, file_row_number from (
    select filename, file_row_number,
           row_number() over (partition by run_id order by version desc, filename desc, file_row_number desc) as rank
    from versions semi join repeated using (run_id)
) where rank > 1;

create or replace table core.runs as
with landed as (
    select * replace (created_at at time zone 'UTC' as created_at, started_at at time zone 'UTC' as started_at,
                      updated_at at time zone 'UTC' as updated_at)
    from landing_runs anti join superseded_runs using (filename, file_row_number)
)
select
    run_id,
    user_id,
    created_at,
    cast(date_trunc('quarter', created_at) as date) as quarter_start,
    started_at,
    runtime_seconds,
    coalesce(runtime_seconds, 0) / 3600.0 as training_hours,
    lower(coalesce(state, 'unknown')) as state,
    sweep_id,
    host,
    nullif(trim(gpu), '') as gpu_name,
    gpu_count,
    gpu_architecture,
    coalesce(gpu_apple, false) as has_apple_gpu,
    tpu,
    ipu_count,
    code_hash,
    coalesce(telemetry_imports, []::integer[]) as telemetry_imports,
    coalesce(telemetry_env, []::integer[]) as telemetry_env,
    coalesce(media_types, []::varchar[]) as media_types
from landed
where run_is_good(run_id, created_at, started_at, updated_at, runtime_seconds, memory_total_gb, gpu_count, filename)
  and created_at >= getvariable('quarter_start') and created_at < getvariable('quarter_end');

create or replace table core.sweeps as
select user_id, cast(date_trunc('quarter', created_at) as date) as quarter_start
from (select * replace (created_at at time zone 'UTC' as created_at, updated_at at time zone 'UTC' as updated_at)
      from landing_sweeps)
where (case
    when sweep_id is null or trim(sweep_id) = '' then 1
    when created_at is null then 1
    when created_at > getvariable('not_after') or updated_at > getvariable('not_after') then 1
    when created_at::date is distinct from folder_day(filename) then 1
end) is null
  and created_at >= getvariable('quarter_start') and created_at < getvariable('quarter_end')
qualify row_number() over (partition by sweep_id
                           order by coalesce(updated_at, created_at) desc, filename desc, file_row_number desc) = 1;

create or replace table core.artifacts as
select user_id, cast(date_trunc('quarter', created_at) as date) as quarter_start
from (select * replace (created_at at time zone 'UTC' as created_at, updated_at at time zone 'UTC' as updated_at)
      from landing_artifacts)
where (case
    when artifact_id is null or trim(artifact_id) = '' then 1
    when created_at is null then 1
    when created_at > getvariable('not_after') or updated_at > getvariable('not_after') then 1
    when created_at::date is distinct from folder_day(filename) then 1
end) is null
  and created_at >= getvariable('quarter_start') and created_at < getvariable('quarter_end')
qualify row_number() over (partition by artifact_id
                           order by coalesce(updated_at, created_at) desc, filename desc, file_row_number desc) = 1;

-- Profiles (a snapshot: every version in the landing zone, the newest wins), normalized as
-- stg_tracking__users, with the country's region (int_user_profiles).
create or replace table core.user_profiles as
with latest as (
    select * replace (signup_at at time zone 'UTC' as signup_at, updated_at at time zone 'UTC' as updated_at)
    from landing_users
    where (case
        when user_id is null or trim(user_id) = '' then 1
        when updated_at is null then 1
        when signup_at at time zone 'UTC' > getvariable('not_after')
          or updated_at at time zone 'UTC' > getvariable('not_after') then 1
        when (updated_at at time zone 'UTC')::date is distinct from folder_day(filename) then 1
    end) is null
    qualify row_number() over (partition by user_id order by updated_at desc, filename desc, file_row_number desc) = 1
),
profiles as (
    select
        user_id,
        case when regexp_full_match(upper(trim(country_code)), '[A-Z]{2}') then upper(trim(country_code)) end as country_code,
        case lower(trim(profession))
            when 'academic' then 'academic' when 'corporate' then 'corporate'
            when 'personal' then 'personal' when 'hobbyist' then 'personal'
            else 'unknown'
        end as profession,
        case when lower(trim(profession)) = 'corporate' then coalesce(nullif(trim(industry), ''), 'Unknown') end as industry
    from latest
)
select profiles.user_id, profiles.country_code, countries.country_name, countries.region, countries.subregion,
       profiles.profession, profiles.industry
from profiles
left join seed_countries as countries on profiles.country_code = countries.country_code;

-- -- lookups resolved per distinct value, never per run

-- int_gpu_names: each distinct GPU name -> the key of the gpu_models seed, and vendor / model / family.
create or replace temp table gpu_names as
with keyed as (
    select
        gpu_name,
        trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            upper(trim(gpu_name)), '\s+', ' ', 'g'),
            '^((NVIDIA|TESLA|GRID|AMD) )+', '', 'g'),
            ' MIG( .*)?$', '', 'g'),
            ' (LAPTOP GPU|WITH MAX-Q DESIGN|MAX-Q|MOBILE)$', '', 'g'),
            '-([0-9]+-)?[0-9]+[ABCQ]$', '', 'g'),
            '([- ]+(SXM[0-9]*|PCIE|PCI-E|HBM[0-9]*E?|NVL|DGXS|FHHL|[0-9]+ ?GB))+$', '', 'g')) as gpu_key,
        regexp_matches(upper(gpu_name), '(LAPTOP GPU|MAX-Q|MOBILE)') as is_laptop,
        case
            when regexp_matches(upper(gpu_name), '^APPLE') then 'Apple'
            when regexp_matches(upper(gpu_name), '(NVIDIA|GEFORCE|QUADRO|TESLA|TITAN|RTX|GTX|GRID)') then 'NVIDIA'
            when regexp_matches(upper(gpu_name), '(AMD|RADEON|INSTINCT)') then 'AMD'
            when regexp_matches(upper(gpu_name), '(INTEL|ARC )') then 'Intel'
            else 'Other'
        end as vendor_from_name
    from (select distinct gpu_name from core.runs where gpu_name is not null)
)
select
    keyed.gpu_name,
    coalesce(models.vendor, keyed.vendor_from_name) as gpu_vendor,
    coalesce(models.model, regexp_replace(trim(keyed.gpu_name), '(?i)^((nvidia|tesla)\s+)+', '', 'g')) as gpu_model,
    coalesce(models.family, keyed.vendor_from_name || ' (other)') as gpu_family,
    models.generation as gpu_generation,
    case when keyed.is_laptop then 'laptop' else coalesce(models.segment, 'unknown') end as gpu_segment
from keyed
left join seed_gpu_models as models on keyed.gpu_key = models.gpu_key;

create or replace temp table libraries as
select module, library, category, nullif(framework_family, '') as framework_family from seed_libraries;

-- int_code_libraries: the libraries of each script the quarter's runs used (module -> library; a
-- module the seed does not know is kept under its own name, category 'other').
create or replace temp table code_libraries as
with modules as (
    select code_hash, unnest(modules) as module
    from parsed_code
    where code_hash in (select code_hash from core.runs where code_hash is not null)
),
library_telemetry_ids as (
    select libraries.library, list(telemetry.import_id order by telemetry.import_id) as telemetry_ids
    from seed_telemetry_imports as telemetry join libraries on telemetry.module = libraries.module
    group by libraries.library
)
select
    modules.code_hash,
    coalesce(libraries.library, modules.module) as library,
    coalesce(any_value(libraries.category), 'other') as category,
    any_value(libraries.framework_family) as framework_family,
    bool_or(libraries.library is not null) as is_known_library,
    coalesce(any_value(library_telemetry_ids.telemetry_ids), []::integer[]) as telemetry_ids
from modules
left join libraries on modules.module = libraries.module
left join library_telemetry_ids on libraries.library = library_telemetry_ids.library
group by modules.code_hash, coalesce(libraries.library, modules.module);

-- int_telemetry_libraries: the libraries each distinct client telemetry list flags.
create or replace temp table telemetry_libraries as
with ids as (
    select telemetry_imports, unnest(telemetry_imports) as import_id
    from (select distinct telemetry_imports from core.runs where len(telemetry_imports) > 0)
),
modules as (
    select ids.telemetry_imports, coalesce(telemetry.module, 'telemetry import ' || cast(ids.import_id as varchar)) as module
    from ids left join seed_telemetry_imports as telemetry on ids.import_id = telemetry.import_id
)
select
    modules.telemetry_imports,
    coalesce(libraries.library, modules.module) as library,
    coalesce(any_value(libraries.category), 'other') as category,
    any_value(libraries.framework_family) as framework_family,
    bool_or(libraries.library is not null) as is_known_library
from modules
left join libraries on modules.module = libraries.module
group by modules.telemetry_imports, coalesce(libraries.library, modules.module);

-- -- the core

create or replace table core.fct_runs as
with runs as (
    select *,
        (gpu_name is not null or coalesce(gpu_count, 0) > 0 or has_apple_gpu or list_contains(telemetry_env, 4)) as has_gpu,
        gpu_name is null and (has_apple_gpu or list_contains(telemetry_env, 4)) as is_unnamed_apple,
        case
            when list_contains(telemetry_env, 12) then 'Colab'
            when list_contains(telemetry_env, 2) then 'Kaggle'
            when nullif(trim(host), '') is null then 'Unknown (no host)'
            when lower(host) like 'ip-%-%-%-%' or lower(host) like '%.compute.internal'
              or lower(host) like '%.ec2.internal' then 'AWS'
            when lower(host) like '%.cloudapp.net' then 'Azure'
            when lower(host) like '%.internal' then 'Google Cloud'
            else 'On-premises / other'
        end as compute_location
    from core.runs
),
script_families as (
    select code_hash, list(distinct framework_family) as families
    from code_libraries where framework_family is not null group by code_hash
),
telemetry_families as (
    select telemetry_imports, list(distinct framework_family) as families
    from telemetry_libraries where framework_family is not null group by telemetry_imports
),
bucketed as (
    select runs.*,
        case
            when coalesce(gpu_count, 0) >= 9 then '9+'
            when gpu_count between 5 and 8 then '5-8'
            when gpu_count between 3 and 4 then '3-4'
            when gpu_count = 2 then '2'
            when gpu_count = 1 or has_gpu then '1'
            else 'none'
        end as gpu_count_bucket
    from runs
)
select
    runs.run_id,
    runs.quarter_start,
    runs.created_at,
    runs.started_at,
    runs.user_id,
    coalesce(profiles.country_code, 'unknown') as country_code,
    coalesce(profiles.country_name, 'Unknown') as country_name,
    coalesce(profiles.region, 'Unknown') as region,
    coalesce(profiles.subregion, 'Unknown') as subregion,
    coalesce(profiles.profession, 'unknown') as profession,
    profiles.industry,
    runs.state,
    runs.runtime_seconds,
    runs.training_hours,
    runs.sweep_id,
    case when runs.gpu_name is not null then gpu_names.gpu_vendor
         when runs.is_unnamed_apple then 'Apple' else 'Unidentified' end as gpu_vendor,
    case when runs.gpu_name is not null then gpu_names.gpu_family
         when runs.is_unnamed_apple then 'Apple silicon (unnamed)'
         when runs.has_gpu then 'Unnamed GPU' else 'No GPU (CPU only or not probed)' end as gpu_family,
    case when runs.gpu_name is not null then gpu_names.gpu_model
         when runs.is_unnamed_apple then 'Apple silicon (unnamed)'
         when runs.has_gpu then 'Unnamed GPU' else 'No GPU (CPU only or not probed)' end as gpu_model,
    case when runs.gpu_name is not null then coalesce(gpu_names.gpu_generation, runs.gpu_architecture, 'Unknown')
         when runs.is_unnamed_apple then 'Apple silicon'
         when runs.has_gpu then coalesce(runs.gpu_architecture, 'Unknown') else 'None' end as gpu_generation,
    case when runs.gpu_name is not null then gpu_names.gpu_segment
         when runs.is_unnamed_apple then 'apple silicon'
         when runs.has_gpu then 'unknown' else 'none' end as gpu_segment,
    coalesce(gpu_names.gpu_segment = 'laptop', false) as is_laptop_gpu,
    runs.gpu_count,
    runs.gpu_count_bucket,
    case runs.gpu_count_bucket when 'none' then 0 when '1' then 1 when '2' then 2 when '3-4' then 3
        when '5-8' then 4 when '9+' then 5 end as gpu_count_bucket_order,
    case when runs.tpu is not null then 'TPU' when coalesce(runs.ipu_count, 0) > 0 then 'IPU'
         when runs.has_gpu then 'GPU' else 'CPU only' end as accelerator,
    runs.compute_location,
    runs.compute_location in ('AWS', 'Google Cloud', 'Azure', 'Colab', 'Kaggle') as is_cloud,
    case when len(runs.media_types) = 0 then ['none']
         else list_sort(list_distinct(list_transform(runs.media_types, lambda m: lower(trim(m))))) end as media_types,
    list_sort(list_distinct(list_concat(coalesce(script_families.families, []::varchar[]),
                                        coalesce(telemetry_families.families, []::varchar[])))) as framework_families,
    coalesce(runs.code_hash in (select code_hash from parsed_code where len(modules) > 0), false) as has_code_imports,
    len(runs.telemetry_imports) > 0 as has_telemetry_imports
from bucketed as runs
left join core.user_profiles as profiles on runs.user_id = profiles.user_id
left join gpu_names on runs.gpu_name = gpu_names.gpu_name
left join script_families on runs.code_hash = script_families.code_hash
left join telemetry_families on runs.telemetry_imports = telemetry_families.telemetry_imports;

-- The bridge run -> library: every library of the run's code (flagged when its telemetry also has
-- it), then every library of its telemetry that the code does not import (int_run_libraries).
create or replace table core.fct_run_libraries as
with scripts as (
    select code_hash, list(library) as libraries from code_libraries group by code_hash
),
detected as (
    select runs.run_id, runs.quarter_start, runs.user_id, runs.telemetry_imports, runs.runtime_seconds, runs.training_hours,
           code.library, code.category, code.framework_family, code.is_known_library,
           true as detected_in_code, list_has_any(runs.telemetry_imports, code.telemetry_ids) as detected_in_telemetry,
           true as has_code_imports
    from core.runs as runs join code_libraries as code on runs.code_hash = code.code_hash
    union all
    select runs.run_id, runs.quarter_start, runs.user_id, runs.telemetry_imports, runs.runtime_seconds, runs.training_hours,
           telemetry.library, telemetry.category, telemetry.framework_family, telemetry.is_known_library,
           false, true, scripts.code_hash is not null
    from core.runs as runs
    join telemetry_libraries as telemetry on runs.telemetry_imports = telemetry.telemetry_imports
    left join scripts on runs.code_hash = scripts.code_hash
    where not list_contains(coalesce(scripts.libraries, []::varchar[]), telemetry.library)
)
select
    run_id, quarter_start, user_id, library, category, framework_family, is_known_library,
    detected_in_code, detected_in_telemetry,
    case when detected_in_code and detected_in_telemetry then 'both' when detected_in_code then 'code' else 'telemetry' end as detected_by,
    has_code_imports,
    len(telemetry_imports) > 0 as has_telemetry_imports,
    runtime_seconds,
    training_hours
from detected;

-- One row per active user (a run, a sweep or an artifact in the quarter), with the profile.
create or replace table core.dim_users as
with runs as (
    select user_id, quarter_start, count(*) as runs, sum(training_hours) as training_hours
    from core.fct_runs where user_id is not null group by all
),
sweeps as (select user_id, quarter_start, count(*) as sweeps from core.sweeps where user_id is not null group by all),
artifacts as (select user_id, quarter_start, count(*) as artifacts from core.artifacts where user_id is not null group by all),
active as (
    select user_id, quarter_start from runs union select user_id, quarter_start from sweeps
    union select user_id, quarter_start from artifacts
)
select
    active.quarter_start,
    extract(year from active.quarter_start) || ' Q' || extract(quarter from active.quarter_start) as quarter_label,
    active.user_id,
    coalesce(profiles.country_code, 'unknown') as country_code,
    coalesce(profiles.country_name, 'Unknown') as country_name,
    coalesce(profiles.region, 'Unknown') as region,
    coalesce(profiles.subregion, 'Unknown') as subregion,
    coalesce(profiles.profession, 'unknown') as profession,
    profiles.industry,
    runs.user_id is not null as is_run_active,
    sweeps.user_id is not null as is_sweep_active,
    artifacts.user_id is not null as is_artifact_active,
    cast(coalesce(runs.runs, 0) as bigint) as runs,
    cast(coalesce(sweeps.sweeps, 0) as bigint) as sweeps,
    cast(coalesce(artifacts.artifacts, 0) as bigint) as artifacts,
    cast(coalesce(runs.training_hours, 0) as double) as training_hours
from active
left join runs using (user_id, quarter_start)
left join sweeps using (user_id, quarter_start)
left join artifacts using (user_id, quarter_start)
left join core.user_profiles as profiles using (user_id);

-- -- the marts

create or replace table marts.headline_by_quarter as
with users as (
    select quarter_start, count(distinct user_id) as active_users,
           count(distinct country_code) filter (where country_code <> 'unknown') as countries
    from core.dim_users group by quarter_start
),
runs as (
    select quarter_start, count(*) as runs, count(*) filter (where user_id is null) as anonymous_runs,
           sum(training_hours) as training_hours
    from core.fct_runs group by quarter_start
)
select
    coalesce(users.quarter_start, runs.quarter_start) as quarter_start,
    extract(year from coalesce(users.quarter_start, runs.quarter_start)) || ' Q'
        || extract(quarter from coalesce(users.quarter_start, runs.quarter_start)) as quarter_label,
    cast(coalesce(users.active_users, 0) as bigint) as active_users,
    cast(coalesce(users.countries, 0) as bigint) as countries,
    cast(coalesce(runs.runs, 0) as bigint) as runs,
    cast(coalesce(runs.anonymous_runs, 0) as bigint) as anonymous_runs,
    cast(coalesce(runs.training_hours, 0) as double) as training_hours
from users full outer join runs on users.quarter_start = runs.quarter_start;

-- Users from dim_users (whatever their activity), runs and hours from fct_runs (anonymous ones
-- under 'unknown', never as users); shares of the quarter's totals.
create or replace table marts.active_users_by_country_by_quarter as
with population as (
    select quarter_start, country_code, country_name, region, subregion, user_id, 0 as runs, 0.0 as training_hours
    from core.dim_users
    union all
    select quarter_start, country_code, country_name, region, subregion, null::varchar, 1, training_hours
    from core.fct_runs
),
totals as (
    select quarter_start, count(distinct user_id) as total_users, sum(runs) as total_runs, sum(training_hours) as total_hours
    from population group by quarter_start
),
grouped as (
    select quarter_start, country_code, country_name, region, subregion,
           count(distinct user_id) as active_users, sum(runs) as runs, sum(training_hours) as training_hours
    from population group by all
)
select
    grouped.quarter_start,
    extract(year from grouped.quarter_start) || ' Q' || extract(quarter from grouped.quarter_start) as quarter_label,
    grouped.country_code, grouped.country_name, grouped.region, grouped.subregion,
    cast(grouped.active_users as bigint) as active_users,
    cast(grouped.runs as bigint) as runs,
    cast(grouped.training_hours as double) as training_hours,
    cast(grouped.active_users / nullif(totals.total_users, 0) as double) as user_share,
    cast(grouped.runs / nullif(totals.total_runs, 0) as double) as run_share,
    cast(grouped.training_hours / nullif(totals.total_hours, 0) as double) as hour_share
from grouped join totals using (quarter_start);
