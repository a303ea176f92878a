-- Runtime histogram (1%-wide log buckets, macros/run_length.sql) per quarter and framework, an
-- aggregate of the core: each framework family (a run counts once in every family it uses,
-- fct_runs.framework_families) and
-- each framework library (core and high-level frameworks, boosted trees). Medians and percentiles
-- do not add up across quarters or users; bucket counts do, so the yearly run-length figures are
-- read from the quarters' histograms without rescanning a year of runs (~125 M at full scale).
-- A few thousand rows a quarter. Runs still running (no runtime yet) are left out.
{{ config(**quarterly_incremental_config()) }}

with subjects as (
    select quarter_start, 'framework_family' as grouping, framework, runtime_seconds
    from (
        select quarter_start, {{ unnest_list('framework_families') }} as framework, runtime_seconds
        from {{ ref('fct_runs') }}
        where {{ in_report_window('quarter_start') }} and runtime_seconds is not null
    ) as families
    union all
    select quarter_start, 'library' as grouping, library as framework, runtime_seconds
    from {{ ref('fct_run_libraries') }}
    where {{ in_report_window('quarter_start') }} and runtime_seconds is not null
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
