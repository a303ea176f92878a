{#- "How many users, runs and training hours per <dimensions>, per quarter or per year": the one
    query behind every breakdown mart, read from a user-grain quarterly intermediate model
    (columns quarter_start, user_id, runs, training_hours, <dimensions>; user_id null for
    anonymous runs, which count in runs and hours but never as users).

    period='quarter': the report window's quarters (model: incremental, delete_report_window()).
    period='year': every loaded quarter of the years the window touches (model: incremental,
    delete_report_years()); distinct users are counted over the year's user-grain rows, never
    summed from quarters. quarters_covered makes a partial year visible.

    Shares: run_share and hour_share of the period's runs / hours (they sum to 1 over the
    dimension's values); user_share = users of this value / users of the period, where a user who
    used several values counts in each (for a multi-valued dimension such as GPU model the shares
    may sum to more than 1). `where` restricts the population, e.g. corporate users only.
    `totals_from`: a relation of the same grain whose rows count each run once, for a relation
    that counts a run under several values (media types): shares are then of all users / runs /
    hours of the period, and may sum to more than 1. -#}
{% macro period_breakdown(relation, period, dimensions, where=none, totals_from=none) -%}
{%- if period not in ['quarter', 'year'] -%}
    {{ exceptions.raise_compiler_error("period_breakdown: period must be 'quarter' or 'year', got '" ~ period ~ "'") }}
{%- endif -%}
{%- set p = 'quarter_start' if period == 'quarter' else 'year_start' -%}
{%- set dims = dimensions | join(', ') -%}
with loaded as (
    select *, {{ year_start('quarter_start') }} as year_start
    from {{ relation }}
    where {{ in_report_window('quarter_start') if period == 'quarter' else in_report_years('quarter_start') }}
),

-- Quarters present in the period, whatever the population: a year with 2 loaded quarters is
-- partial even if the population had no row in one of them.
coverage as (
    select {{ p }}, count(distinct quarter_start) as quarters_covered
    from loaded
    group by {{ p }}
),

population as (
    select * from loaded
    {% if where %}where {{ where }}{% endif %}
),

totals as (
    select
        {{ p }},
        count(distinct user_id) as total_users,
        sum(runs) as total_runs,
        sum(training_hours) as total_hours
    {% if totals_from -%}
    from (
        select *, {{ year_start('quarter_start') }} as year_start
        from {{ totals_from }}
        where {{ in_report_window('quarter_start') if period == 'quarter' else in_report_years('quarter_start') }}
    ) as all_runs
    {%- else -%}
    from population
    {%- endif %}
    group by {{ p }}
),

grouped as (
    select
        {{ p }},
        {{ dims }},
        count(distinct user_id) as active_users,
        sum(runs) as runs,
        sum(training_hours) as training_hours
    from population
    group by {{ p }}, {{ dims }}
)

select
    {% if period == 'quarter' -%}
    grouped.quarter_start,
    {{ quarter_label('grouped.quarter_start') }} as quarter_label,
    {%- else -%}
    grouped.year_start,
    cast(extract(year from grouped.year_start) as integer) as year,
    {{ year_label('grouped.year_start', 'coverage.quarters_covered') }} as year_label,
    cast(coverage.quarters_covered as integer) as quarters_covered,
    {%- endif %}
    {% for d in dimensions -%}
    grouped.{{ d }},
    {% endfor -%}
    cast(grouped.active_users as bigint) as active_users,
    cast(grouped.runs as bigint) as runs,
    cast(grouped.training_hours as double) as training_hours,
    cast(grouped.active_users / nullif(totals.total_users, 0) as double) as user_share,
    cast(grouped.runs / nullif(totals.total_runs, 0) as double) as run_share,
    cast(grouped.training_hours / nullif(totals.total_hours, 0) as double) as hour_share
from grouped
join totals on grouped.{{ p }} = totals.{{ p }}
join coverage on grouped.{{ p }} = coverage.{{ p }}
{%- endmacro %}
