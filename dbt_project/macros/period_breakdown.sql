{#- "How many users, runs and training hours per <dimensions>, per quarter or per year": the one
    query behind every breakdown mart, a group-by over the core (fct_runs, and dim_users for the
    marts whose users are all active users, not only those with runs).

    period='quarter': the report window's quarters (model: incremental, delete_report_window()).
    period='year': every loaded quarter of the years the window touches (model: incremental,
    delete_report_years()); distinct users are counted over the year's rows, never summed from
    quarters. quarters_covered makes a partial year visible.

    active_users: distinct users with runs of the value (users_from_dim_users: distinct active users
    of dim_users with the value, e.g. a country, whatever their activity). Anonymous runs count in
    runs and hours, never as users.
    Shares: run_share and hour_share of the period's runs / hours (they sum to 1 over the
    dimension's values); user_share = users of this value / users of the period, where a user who
    used several values counts in each (for a multi-valued dimension such as GPU model the shares
    may sum to more than 1). `where` restricts the population, e.g. corporate users only.
    `list_dimension` = (name, list column of fct_runs): a run counts under each element of the list
    (media types); shares are then of all users / runs / hours of the period, and may sum to more
    than 1. -#}
{% macro period_breakdown(period, dimensions, where=none, users_from_dim_users=false, list_dimension=none) -%}
{%- if period not in ['quarter', 'year'] -%}
    {{ exceptions.raise_compiler_error("period_breakdown: period must be 'quarter' or 'year', got '" ~ period ~ "'") }}
{%- endif -%}
{%- set p = 'quarter_start' if period == 'quarter' else 'year_start' -%}
{%- set in_period = in_report_window('quarter_start') if period == 'quarter' else in_report_years('quarter_start') -%}
{%- set dims = dimensions | join(', ') -%}
{%- set filter = ('where ' ~ where) if where else '' -%}
with runs as (
    select *, {{ year_start('quarter_start') }} as year_start
    from {{ ref('fct_runs') }}
    where {{ in_period }}
),

-- Quarters present in the period, whatever the population: a year with 2 loaded quarters is
-- partial even if the population had no row in one of them.
coverage as (
    select {{ p }}, count(distinct quarter_start) as quarters_covered
    from (
        select quarter_start, year_start from runs
        {% if users_from_dim_users -%}
        union all
        select quarter_start, {{ year_start('quarter_start') }} as year_start
        from {{ ref('dim_users') }} where {{ in_period }}
        {%- endif %}
    ) as loaded
    group by {{ p }}
),

population as (
    {% if users_from_dim_users -%}
    -- Users from dim_users (their runs are counted on the run rows below), runs and hours from fct_runs.
    select {{ p }}, {{ dims }}, user_id, 0 as runs, 0.0 as training_hours
    from (select *, {{ year_start('quarter_start') }} as year_start from {{ ref('dim_users') }} where {{ in_period }}) as users
    {{ filter }}
    union all
    select {{ p }}, {{ dims }}, cast(null as {{ dbt.type_string() }}) as user_id, 1 as runs, training_hours
    from runs
    {{ filter }}
    {%- elif list_dimension -%}
    select {{ p }}, {{ unnest_list(list_dimension[1]) }} as {{ list_dimension[0] }}, user_id, 1 as runs, training_hours
    from runs
    {{ filter }}
    {%- else -%}
    select {{ p }}, {{ dims }}, user_id, 1 as runs, training_hours
    from runs
    {{ filter }}
    {%- endif %}
),

totals as (
    select
        {{ p }},
        count(distinct user_id) as total_users,
        sum(runs) as total_runs,
        sum(training_hours) as total_hours
    {% if list_dimension -%}
    from (select {{ p }}, user_id, 1 as runs, training_hours from runs {{ filter }}) as all_runs
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
    {{ period_columns(period, 'grouped', 'coverage') }},
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
