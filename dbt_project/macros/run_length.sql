{#- Run-length distributions that merge across quarters: a histogram of wall-clock runtimes in
    logarithmic buckets 1% wide. A quarter's histogram is summed into its year's without going back
    to the runs (a median does not add up; bucket counts do), and a quantile read from it is within
    0.5% of the exact one (the bucket's geometric middle). Runtimes under a second share bucket -1. -#}
{% macro runtime_bucket(seconds) -%}
    case when {{ seconds }} < 1 then -1 else cast(floor(ln({{ seconds }}) / ln(1.01)) as integer) end
{%- endmacro %}

{#- The runtime (seconds) a bucket stands for: its geometric middle. -#}
{% macro runtime_bucket_seconds(bucket) -%}
    case when {{ bucket }} < 0 then 0.5 else pow(1.01, {{ bucket }} + 0.5) end
{%- endmacro %}

{#- Mean, median and 90th percentile runtime per period and subject from a histogram relation
    (columns quarter_start, grouping, framework, runtime_bucket, runs, runtime_seconds).
    period='quarter': the report window's quarters; period='year': every loaded quarter of the
    years the window touches (quarters_covered says when a year is partial). -#}
{% macro run_length_stats(histogram, period) -%}
{%- if period not in ['quarter', 'year'] -%}
    {{ exceptions.raise_compiler_error("run_length_stats: period must be 'quarter' or 'year', got '" ~ period ~ "'") }}
{%- endif -%}
{%- set p = 'quarter_start' if period == 'quarter' else 'year_start' -%}
with loaded as (
    select *, {{ year_start('quarter_start') }} as year_start
    from {{ histogram }}
    where {{ in_report_window('quarter_start') if period == 'quarter' else in_report_years('quarter_start') }}
),

coverage as (
    select {{ p }}, count(distinct quarter_start) as quarters_covered
    from loaded
    group by {{ p }}
),

buckets as (
    select {{ p }}, grouping, framework, runtime_bucket, sum(runs) as runs, sum(runtime_seconds) as runtime_seconds
    from loaded
    group by {{ p }}, grouping, framework, runtime_bucket
),

cumulative as (
    select
        *,
        sum(runs) over (partition by {{ p }}, grouping, framework order by runtime_bucket
                        rows between unbounded preceding and current row) as runs_up_to,
        sum(runs) over (partition by {{ p }}, grouping, framework) as total_runs
    from buckets
),

stats as (
    select
        {{ p }},
        grouping,
        framework,
        sum(runs) as runs,
        sum(runtime_seconds) as runtime_seconds,
        -- The smallest bucket holding the q-th run: the quantile's bucket.
        min(runtime_bucket) filter (where runs_up_to >= 0.5 * total_runs) as median_bucket,
        min(runtime_bucket) filter (where runs_up_to >= 0.9 * total_runs) as p90_bucket
    from cumulative
    group by {{ p }}, grouping, framework
)

select
    {{ period_columns(period, 'stats', 'coverage') }},
    stats.grouping,
    stats.framework,
    cast(stats.runs as bigint) as runs_with_runtime,
    cast(stats.runtime_seconds / 3600.0 as double) as training_hours,
    cast(stats.runtime_seconds / stats.runs / 60.0 as double) as mean_runtime_minutes,
    cast({{ runtime_bucket_seconds('stats.median_bucket') }} / 60.0 as double) as median_runtime_minutes,
    cast({{ runtime_bucket_seconds('stats.p90_bucket') }} / 60.0 as double) as p90_runtime_minutes
from stats
join coverage on stats.{{ p }} = coverage.{{ p }}
{%- endmacro %}
