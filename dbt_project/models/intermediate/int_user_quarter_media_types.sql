-- Runs and training hours per quarter, user and media type the run logged (a run logging images
-- and tables counts under both; a run logging no media under "none", scalars only). User grain
-- for the yearly distinct users; anonymous runs have user_id null.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

with runs as (
    select
        quarter_start,
        user_id,
        training_hours,
        list_distinct(list_transform(media_types, lambda m: lower(trim(m)))) as media_types
    from {{ ref('stg_tracking__runs') }}
    where {{ in_report_window('created_at') }}
),

logged as (
    select
        quarter_start,
        user_id,
        training_hours,
        unnest(case when len(media_types) = 0 then ['none'] else media_types end) as media_type
    from runs
)

select
    quarter_start,
    user_id,
    media_type,
    count(*) as runs,
    sum(training_hours) as training_hours
from logged
group by all
