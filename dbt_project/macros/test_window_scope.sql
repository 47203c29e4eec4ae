{#-
  Generic tests of the day-grain models check the rows this run rebuilt, not the whole history.

  A model opts in with `meta: {dq_test_window: {column: <date column>}}` (plus `lookback_var:
  <var holding days>` when its incremental window reaches back, as fct_ads_daily's does). Its
  generic tests then read `(select * from <model> where <column> in the run's window)`; every
  other model, and any run
  without a window (full refresh, `dbt build` by hand), is tested whole. Rows outside the window
  were tested by the run that built them and have not changed since.

  dq_full_scope (var, or env JD_DBT_DQ_FULL_SCOPE) = true tests every model whole: the weekly
  Dagster run `weekly_whole_table_tests` sets it (jd_pipeline/defs/transform.py), which also
  catches a key duplicated across days.
  Singular tests scope themselves with test_window(column).

  This overrides dbt's built-in get_where_subquery (the hook dbt documents for custom `where`
  handling); a test's own `where` config still applies, and-ed with the window.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do predicates.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window = test_window_predicate(relation) -%}
    {%- if window -%}
        {%- do predicates.append(window) -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ predicates | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The window predicate for tests of `relation`, or none when it is tested whole. -#}
{% macro test_window_predicate(relation) -%}
    {%- if not execute or tests_whole_tables() or window_bounds() is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
              and (node.alias or node.name) | lower == (relation.identifier or '') | lower
              and node.schema | lower == (relation.schema or '') | lower -%}
            {%- set scope = node.config.meta.get('dq_test_window') -%}
            {%- if scope -%}
                {%- set lookback = var(scope['lookback_var']) | int if scope.get('lookback_var') else 0 -%}
                {{ return(in_date_window(scope['column'], lookback)) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{% macro tests_whole_tables() -%}
    {{ return(run_setting('dq_full_scope', 'JD_DBT_DQ_FULL_SCOPE') | string | lower in ('true', '1', 'yes')) }}
{%- endmacro %}

{#- Predicate for singular tests: the run's window on date_col, or true on a whole-table night. -#}
{% macro test_window(date_col, lookback_days=0) -%}
    {%- if tests_whole_tables() -%} 1 = 1
    {%- else -%} {{ in_date_window(date_col, lookback_days) }}
    {%- endif -%}
{%- endmacro %}
