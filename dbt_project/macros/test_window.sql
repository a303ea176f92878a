{#- Data tests read the report window being built, not all history: every generic test on a
    model with a period column sees only the rows of the window (quarter_start: the window's
    quarters; year_start: the whole years the window touches, which the yearly models rebuild).
    Seeds and the models without a period column (profiles, the content-addressed parsed code,
    tables replaced per invocation) are tested whole. A test's own `where` config still wins.
    dbt calls get_where_subquery for the `model` argument of every generic test. -#}
{% macro get_where_subquery(relation) -%}
    {#- rows_per_period_match_source checks all history by its very meaning (macros/generic_tests.sql). -#}
    {%- if (model.get('test_metadata') or {}).get('name') == 'rows_per_period_match_source' and not config.get('where') -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set where = config.get('where', '') or test_window_predicate() -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The window predicate of the tested model's period column ('' when it has none). `column`
    names the expression to filter, when it is not the period column itself (totals_match). -#}
{% macro test_window_predicate(column=none) -%}
    {%- if not execute -%}{%- do return('') -%}{%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '', {}) -%}
    {%- set columns = tested.get('columns', {}) -%}
    {%- if tested.get('resource_type') != 'model' -%}
        {%- do return('') -%}
    {%- elif 'quarter_start' in columns -%}
        {%- do return(in_report_window(column or 'quarter_start')) -%}
    {%- elif 'year_start' in columns -%}
        {%- do return(in_report_years(column or 'year_start')) -%}
    {%- endif -%}
    {%- do return('') -%}
{%- endmacro %}
