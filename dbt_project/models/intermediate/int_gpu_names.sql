-- One row per distinct GPU name the report window's runs recorded, with its vendor, model,
-- family, architecture generation and market segment. Classifying distinct names (tens to a few
-- hundred) instead of runs keeps the regex work off the 31 M-runs-a-quarter path.
with names as (
    select distinct gpu_name
    from {{ ref('stg_tracking__runs') }}
    where gpu_name is not null and {{ in_report_window('created_at') }}
),

keyed as (
    select
        gpu_name,
        {{ normalize_gpu_name('gpu_name') }} as gpu_key,
        {{ is_laptop_gpu_name('gpu_name') }} as is_laptop
    from names
),

models as (
    select * from {{ ref('gpu_models') }}
)

select
    keyed.gpu_name,
    keyed.gpu_key,
    models.gpu_key is not null as is_known_model,
    -- A name the seed does not know yet still gets its vendor from its brand words; its model is
    -- the name as written (without the "NVIDIA " and "Tesla " prefixes) so it shows up, and can be added.
    coalesce(models.vendor, {{ gpu_vendor_from_name('keyed.gpu_name') }}) as gpu_vendor,
    coalesce(models.model, {{ regexp_replace_all('trim(keyed.gpu_name)', '(?i)^((nvidia|tesla)\s+)+', '') }}) as gpu_model,
    coalesce(models.family, {{ gpu_vendor_from_name('keyed.gpu_name') }} || ' (other)') as gpu_family,
    -- Null when unknown: fct_runs then uses the architecture newer clients record.
    models.generation as gpu_generation,
    case when keyed.is_laptop then 'laptop' else coalesce(models.segment, 'unknown') end as gpu_segment
from keyed
left join models on keyed.gpu_key = models.gpu_key
