-- Runs and training hours per quarter, user and media type the run logged (a run logging images
-- and tables counts under both; a run logging no media under "none", scalars only). User grain
-- for the yearly distinct users; anonymous runs have user_id null.
{{ config(**quarterly_incremental_config()) }}

-- Runs with the same list of media types are counted together first: a user logs few distinct
-- lists, so the list work below runs on thousands of rows, not 31 M (about half the time).
with lists as (
    select quarter_start, user_id, media_types, count(*) as runs, sum(training_hours) as training_hours
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
    group by all
),

logged as (
    select
        quarter_start,
        user_id,
        runs,
        training_hours,
        -- Distinct per run after normalizing: a type logged under several keys counts once.
        {{ unnest_list("case when " ~ list_length('media_types') ~ " = 0 then " ~ list_of(["'none'"])
                       ~ " else " ~ list_distinct(list_transform('media_types', 'm', 'lower(trim(m))')) ~ " end") }} as media_type
    from lists
)

select
    quarter_start,
    user_id,
    media_type,
    cast(sum(runs) as bigint) as runs,
    sum(training_hours) as training_hours
from logged
group by all
