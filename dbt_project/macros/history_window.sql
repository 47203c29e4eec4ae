{#-
  Windows of the marts whose rows depend on all earlier history (the customer marts): a buyer's
  first month is the month of its first dealt line ever, so a delivery for a day in month W can
  change the segment of that buyer in W and in every later month it buys in, and the cohort of W
  and the rows of every cohort in W and later months. Nothing before W changes: a buyer with a line
  before W keeps its first month. So a run rebuilds every month from the first month its window
  touches onwards (not only the window's months); with no window, everything.
-#}

{#- Predicate: month_start_col is in or after the first month of the run's window (true when no window). -#}
{% macro from_window_month(month_start_col) -%}
    {%- set b = window_bounds() -%}
    {%- if b is none -%} 1 = 1
    {%- else -%} {{ month_start_col }} >= cast({{ dbt.date_trunc('month', b[0]) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- pre_hook: delete the months from the window's first month onwards. -#}
{% macro delete_from_window_month(month_start_col) -%}
    {%- if is_incremental() -%}
        {{ delete_rows(this, from_window_month(month_start_col)) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
  pre_hook of fct_region_sales_monthly: the months the window touches, plus every row built with
  another region master than the brand's newest (a new master re-maps all history: "newest wins").
  The model then builds the window's months and every brand-month missing from the table.
-#}
{% macro delete_region_sales_window() -%}
    {%- if is_incremental() -%}
        {{ delete_rows(this, in_month_window('month_start') ~ "
           or brand || '|' || region_master_version not in (
                select t.brand || '|' || coalesce(max(c.master_version), 'none')
                from (select distinct brand from " ~ this ~ ") as t
                left join " ~ ref('int_ref_regions__current') ~ " as c on c.brand = t.brand
                group by t.brand)") }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Predicate for singular tests of month-grain marts: the months the run's window touches. -#}
{% macro test_month_window(month_start_col) -%}
    {%- if tests_whole_tables() -%} 1 = 1
    {%- else -%} {{ in_month_window(month_start_col) }}
    {%- endif -%}
{%- endmacro %}
