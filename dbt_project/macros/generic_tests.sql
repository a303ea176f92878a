{#- The few generic tests we need, written here instead of pulling dbt_utils from the hub
    (no network but the package registries). -#}
{% test not_negative(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{% test share_between_0_and_1(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every value of the column is a quarter start (yyyy-01/04/07/10-01). -#}
{% test is_quarter_start(model, column_name) %}
    select * from {{ model }}
    where {{ column_name }} <> cast(date_trunc('quarter', {{ column_name }}) as date)
{% endtest %}

{#- Every row satisfies a boolean SQL expression over its columns (rows where it is null fail). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not coalesce({{ expression }}, false)
{% endtest %}
