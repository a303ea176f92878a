-- Runtime histogram (1%-wide log buckets, macros/run_length.sql) per quarter and framework: each
-- framework family (a run counts once in every family it uses, int_run_framework_families) and
-- each framework library (core and high-level frameworks, boosted trees). Medians and percentiles
-- do not add up across quarters or users; bucket counts do, so the yearly run-length figures are
-- read from the quarters' histograms without rescanning a year of runs (~125 M at full scale).
-- A few thousand rows a quarter. Runs still running (no runtime yet) are left out.
{{ config(**quarterly_incremental_config()) }}

with subjects as (
    select quarter_start, 'framework_family' as grouping, framework_family as framework, runtime_seconds
    from {{ ref('int_run_framework_families') }}
    where runtime_seconds is not null
    union all
    select quarter_start, 'library' as grouping, library as framework, runtime_seconds
    from {{ ref('int_run_libraries') }}
    where runtime_seconds is not null
      and category in ('core framework', 'high-level framework', 'boosted trees')
)

select
    quarter_start,
    grouping,
    framework,
    {{ runtime_bucket('runtime_seconds') }} as runtime_bucket,
    count(*) as runs,
    sum(runtime_seconds) as runtime_seconds
from subjects
group by all
