{#- Generic test: the combination of columns is unique (the model's grain). NULLs count as values.
    dbt_utils has this test, but `dbt deps` fetches packages from hub.getdbt.com / GitHub, which a
    clean CI machine here cannot reach; this keeps dbt_utils' name and argument, so moving to it is
    a packages.yml entry and a `dbt_utils.` prefix in the ymls. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
