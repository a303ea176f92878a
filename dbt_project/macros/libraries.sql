{#- Framework and library usage: the categories counted as frameworks (the talk's core
    frameworks, Keras/Lightning and the boosted trees); everything else is a library. -#}
{% macro framework_categories() -%}
    ('core framework', 'high-level framework', 'boosted trees')
{%- endmacro %}

{#- "How many users, runs and training hours use each library, per quarter or per year" (optionally
    per profession): a group-by over the bridge fct_run_libraries, with the profession from dim_users.

    Shares are of the period's users / runs / hours whose imports are known (code or telemetry named
    at least one import: has_code_imports or has_telemetry_imports of fct_runs), per profession when
    split by it; a run uses several libraries, so shares across libraries add up to more than 1.
    period='quarter': the report window's quarters; period='year': every loaded quarter of the years
    the window touches (distinct users over the year, never summed from quarters; quarters_covered
    says when a year is partial). `where`: a predicate on the library columns. -#}
{% macro library_breakdown(period, by_profession=false, where=none) -%}
{%- if period not in ['quarter', 'year'] -%}
    {{ exceptions.raise_compiler_error("library_breakdown: period must be 'quarter' or 'year', got '" ~ period ~ "'") }}
{%- endif -%}
{%- set p = 'quarter_start' if period == 'quarter' else 'year_start' -%}
{%- set in_period = in_report_window('quarter_start') if period == 'quarter' else in_report_years('quarter_start') -%}
{%- set dims = [p, 'profession'] if by_profession else [p] -%}
with usage as (
    select
        libraries.*,
        {{ year_start('libraries.quarter_start') }} as year_start
        {%- if by_profession %},
        -- Anonymous runs, and users without a profile: unknown.
        coalesce(users.profession, 'unknown') as profession
        {%- endif %}
    from {{ ref('fct_run_libraries') }} as libraries
    {% if by_profession -%}
    left join {{ ref('dim_users') }} as users
      on libraries.user_id = users.user_id and libraries.quarter_start = users.quarter_start
    {% endif -%}
    where {{ in_period.replace('quarter_start', 'libraries.quarter_start') }}
    {%- if where %} and ({{ where }}){% endif %}
),

observed as (
    select
        quarter_start,
        {{ year_start('quarter_start') }} as year_start,
        profession,
        user_id,
        training_hours,
        has_code_imports or has_telemetry_imports as has_imports
    from {{ ref('fct_runs') }}
    where {{ in_period }}
),

quarters_loaded as (
    select {{ p }}, count(distinct quarter_start) as quarters_covered
    from observed
    group by {{ p }}
),

-- Users, runs and hours whose imports are known: the denominators of the shares.
totals as (
    select
        {{ dims | join(', ') }},
        count(distinct user_id) filter (where has_imports) as total_users,
        count(*) filter (where has_imports) as total_runs,
        coalesce(sum(training_hours) filter (where has_imports), 0) as total_hours
    from observed
    group by {{ dims | join(', ') }}
),

grouped as (
    select
        {{ dims | join(', ') }},
        library,
        category,
        framework_family,
        is_known_library,
        count(distinct user_id) as active_users,
        count(*) as runs,
        sum(training_hours) as training_hours
    from usage
    group by {{ dims | join(', ') }}, library, category, framework_family, is_known_library
)

select
    {{ period_columns(period, 'grouped', 'quarters_loaded') }},
    {% if by_profession -%}
    grouped.profession,
    {% endif -%}
    grouped.library,
    grouped.category,
    grouped.framework_family,
    grouped.is_known_library,
    cast(grouped.active_users as bigint) as active_users,
    cast(grouped.runs as bigint) as runs,
    cast(grouped.training_hours as double) as training_hours,
    cast(grouped.active_users / nullif(totals.total_users, 0) as double) as user_share,
    cast(grouped.runs / nullif(totals.total_runs, 0) as double) as run_share,
    cast(grouped.training_hours / nullif(totals.total_hours, 0) as double) as hour_share
from grouped
join totals using ({{ dims | join(', ') }})
join quarters_loaded using ({{ p }})
{%- endmacro %}

{#- The report window's quarters and the quarter right after it: a quarter-over-quarter figure of
    the next quarter divides by a quarter of the window, so a rerun of the window refreshes it too. -#}
{% macro in_report_window_and_next(column) -%}
    {%- set w = report_window() -%}
    ({{ column }} >= cast('{{ w.start }}' as date) and {{ column }} <= cast('{{ w.end }}' as date))
{%- endmacro %}

{% macro delete_report_window_and_next(column='quarter_start') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_report_window_and_next(column) }}
    {%- endif -%}
{%- endmacro %}

{#- Agreement of code and telemetry detection per year and library (library_detection_agreement_by_year;
    no quarterly mart reads it). -#}
{% macro detection_agreement() -%}
with loaded as (
    select *, {{ year_start('quarter_start') }} as year_start
    from {{ ref('fct_run_libraries') }}
    where {{ in_report_years('quarter_start') }}
),

-- Libraries with a module the client's telemetry flags: for the others "code only" says nothing.
quarters_loaded as (
    select year_start, count(distinct quarter_start) as quarters_covered
    from (
        select quarter_start, {{ year_start('quarter_start') }} as year_start
        from {{ ref('fct_runs') }}
        where {{ in_report_years('quarter_start') }}
    ) as loaded_quarters
    group by year_start
),

telemetry_visible as (
    select distinct libraries.library
    from {{ ref('libraries') }} as libraries
    join {{ ref('telemetry_imports') }} as telemetry on libraries.module = telemetry.module
),

-- Libraries another library imports (seed transitive_libraries): telemetry flags them on runs whose
-- code never names them, which is expected, not a disagreement.
transitive as (
    select library, {{ list_agg('loaded_by', sorted=true) }} as loaded_by
    from {{ ref('transitive_libraries') }}
    group by library
),

agreement as (
    select
        year_start,
        library,
        -- Among runs where both signals said something (code imports and telemetry).
        count(*) filter (where has_code_imports and has_telemetry_imports) as runs_with_both_signals,
        count(*) filter (where has_code_imports and has_telemetry_imports and detected_by = 'both') as runs_agreeing,
        count(*) filter (where has_code_imports and has_telemetry_imports and detected_by = 'code') as runs_code_only,
        count(*) filter (where has_code_imports and has_telemetry_imports and detected_by = 'telemetry') as runs_telemetry_only
    from loaded
    where library in (select library from telemetry_visible)
    group by year_start, library
    having count(*) filter (where has_code_imports and has_telemetry_imports) > 0
)

select
    {{ period_columns('year', 'agreement', 'quarters_loaded') }},
    agreement.library,
    cast(runs_with_both_signals as bigint) as runs_with_both_signals,
    cast(runs_agreeing as bigint) as runs_agreeing,
    cast(runs_code_only as bigint) as runs_code_only,
    cast(runs_telemetry_only as bigint) as runs_telemetry_only,
    cast(runs_agreeing / runs_with_both_signals as double) as agreement_share,
    cast(runs_code_only / runs_with_both_signals as double) as code_only_share,
    cast(runs_telemetry_only / runs_with_both_signals as double) as telemetry_only_share,
    transitive.library is null as code_import_expected,
    transitive.loaded_by
from agreement
join quarters_loaded on agreement.year_start = quarters_loaded.year_start
left join transitive on agreement.library = transitive.library
{%- endmacro %}
