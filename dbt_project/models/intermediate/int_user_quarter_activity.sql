-- One row per active user and quarter: the grain from which every "active users" figure is
-- counted (yearly distinct users come from here too, never from summing quarters).
{{ config(**quarterly_incremental_config()) }}

with events as (
    select * from {{ ref('int_activity_events') }}
)

select
    user_id,
    quarter_start,
    {{ quarter_label('quarter_start') }} as quarter_label,
    count(*) filter (where activity = 'run') as runs,
    count(*) filter (where activity = 'sweep') as sweeps,
    count(*) filter (where activity = 'artifact') as artifacts,
    sum(training_hours) as training_hours
from events
group by user_id, quarter_start
