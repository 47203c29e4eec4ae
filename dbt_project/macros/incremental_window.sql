{#-
  Partition-window processing for the incremental marts.
  The window is var('min_date') / var('max_date') (inclusive ISO dates), or, when those are not
  set, the environment variables JD_DBT_MIN_DATE / JD_DBT_MAX_DATE, which is how Dagster passes it
  (see run_setting). When neither is set, a model processes everything. Daily facts: delete the window (pre-hook) then append the recomputed window,
  so re-running a day replaces it (a day that lost all its rows is emptied too).
-#}

{% macro window_bounds(lookback_days=0) -%}
    {%- set lo = run_setting('min_date', 'JD_DBT_MIN_DATE') -%}
    {%- set hi = run_setting('max_date', 'JD_DBT_MAX_DATE') -%}
    {%- if lo is none or hi is none or lo == '' or hi == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set lo_expr = "cast('" ~ lo ~ "' as date)" -%}
    {%- if lookback_days > 0 -%}
        {%- set lo_expr = "cast(" ~ dbt.dateadd('day', -lookback_days, lo_expr) ~ " as date)" -%}
    {%- endif -%}
    {{ return((lo_expr, "cast('" ~ hi ~ "' as date)")) }}
{%- endmacro %}

{#- Predicate on a date column for the processing window (true when no window). -#}
{% macro in_date_window(date_col, lookback_days=0) -%}
    {%- set b = window_bounds(lookback_days) -%}
    {%- if b is none -%} 1 = 1
    {%- else -%} {{ date_col }} between {{ b[0] }} and {{ b[1] }}
    {%- endif -%}
{%- endmacro %}

{#- Predicate on a month-start date column: the months the window touches (optionally extended
    lookback_days before min_date, for marts that read fct_ads_daily's restated days). -#}
{% macro in_month_window(month_start_col, lookback_days=0) -%}
    {%- set b = window_bounds(lookback_days) -%}
    {%- if b is none -%} 1 = 1
    {%- else -%} {{ month_start_col }} between cast({{ dbt.date_trunc('month', b[0]) }} as date) and cast({{ dbt.date_trunc('month', b[1]) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of the daily incremental facts: delete the window being reprocessed. -#}
{% macro delete_date_window(date_col, lookback_days=0) -%}
    {%- if is_incremental() -%}
        {{ delete_rows(this, in_date_window(date_col, lookback_days)) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro delete_month_window(month_start_col, lookback_days=0) -%}
    {%- if is_incremental() -%}
        {{ delete_rows(this, in_month_window(month_start_col, lookback_days)) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
  The statement of a delete pre-hook. DuckDB deletes the rows. Spark's Parquet tables cannot delete
  rows: the incremental models are partitioned there by the column the window is on
  (spark_incremental_config), every predicate of these hooks selects whole partitions, so the
  partitions holding matching rows are dropped. The model then writes the window's partitions
  (insert_overwrite); dropping first also empties a day that lost all its rows, as the DELETE does.
-#}
{% macro delete_rows(relation, predicate) -%}
    {{ return(adapter.dispatch('delete_rows')(relation, predicate)) }}
{%- endmacro %}
{% macro default__delete_rows(relation, predicate) -%}
    delete from {{ relation }} where {{ predicate }}
{%- endmacro %}
{% macro spark__delete_rows(relation, predicate) -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set col = partition_by if partition_by is string else partition_by[0] -%}
    {%- set found = run_query('select distinct cast(' ~ col ~ ' as string) as p from ' ~ relation
                              ~ ' where ' ~ predicate ~ ' order by p') -%}
    {%- if found | length == 0 -%}
        select 1
    {%- else -%}
        alter table {{ relation }} drop if exists
        {%- for row in found %} partition ({{ col }} = '{{ row[0] }}'){{ ',' if not loop.last }}{% endfor %}
    {%- endif -%}
{%- endmacro %}

{#-
  Spark's settings of the incremental models, called right after their config(): partition
  overwrite of plain Parquet tables partitioned by the window column `partition_col` (profiles.yml
  sets partitionOverwriteMode=dynamic, so only the partitions written are replaced). A later config()
  wins key by key; on DuckDB this sets nothing and renders nothing, so its configuration is as it was.
-#}
{% macro spark_incremental_config(partition_col) -%}
    {{ return(adapter.dispatch('spark_incremental_config')(partition_col)) }}
{%- endmacro %}
{% macro default__spark_incremental_config(partition_col) -%}
{%- endmacro %}
{% macro spark__spark_incremental_config(partition_col) -%}
    {%- do config(incremental_strategy='insert_overwrite', partition_by=[partition_col], file_format='parquet') -%}
{%- endmacro %}

{#- pre_hook of fct_ads_daily: store_type comes from the *current* product master, so a master
    delivery can restate it on any day. Rows outside the window whose stored store_type differs from
    the current master are set to it (a pure function of brand and sku_id), so the table equals a
    rebuild without re-reading 京准通 history.
    Spark cannot UPDATE a Parquet table: there the model also rebuilds the days holding such rows
    (ads_restated_days) and the partition overwrite replaces them; this hook does nothing. -#}
{% macro restate_ads_store_type() -%}
    {{ return(adapter.dispatch('restate_ads_store_type')()) }}
{%- endmacro %}
{% macro spark__restate_ads_store_type() -%}
    select 1
{%- endmacro %}
{% macro default__restate_ads_store_type() -%}
    {%- if is_incremental() -%}
        update {{ this }} as t
        set store_type = (select s.store_type from {{ ref('dim_sku') }} as s
                          where s.brand = t.brand and s.sku_id = t.sku_id)
        where t.store_type is distinct from (select s.store_type from {{ ref('dim_sku') }} as s
                                             where s.brand = t.brand and s.sku_id = t.sku_id)
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- fct_ads_daily's filter on Spark: ` or <date_col> in (the days with a row whose store_type differs
    from the current dim_sku)`, read before the write, so the partition overwrite rebuilds those days
    whole (their other columns equal the stored ones: 京准通 history outside the window is the same
    raw data). Empty on DuckDB, where restate_ads_store_type updates the rows in place. -#}
{% macro ads_restated_days(date_col) -%}
    {{ return(adapter.dispatch('ads_restated_days')(date_col)) }}
{%- endmacro %}
{% macro default__ads_restated_days(date_col) -%}
{%- endmacro %}
{% macro spark__ads_restated_days(date_col) -%}
    {%- if is_incremental() %}
       or {{ date_col }} in (
           select t.date_day
           from {{ this }} as t
           left join {{ ref('dim_sku') }} as s
               on s.brand = t.brand and s.sku_id = t.sku_id
           where t.store_type is distinct from s.store_type)
    {%- endif -%}
{%- endmacro %}

{#-
  A per-run setting: var(name) when given (`dbt build --vars ...` by hand), else the environment
  variable env_name, read at execution time only. Dagster passes its partition window through the
  environment because `--vars` that change every run invalidate dbt's partial parsing (a full
  re-parse of the project on every invocation); an env_var() read only when `execute` is
  true is not recorded by the parser, so it does not. Unit tests pin it with `overrides: env_vars`.
-#}
{% macro run_setting(name, env_name) -%}
    {%- set value = var(name, none) -%}
    {%- if (value is none or value == '') and execute -%}
        {%- set value = env_var(env_name, '') -%}
    {%- endif -%}
    {{ return(none if value is none or value == '' else value) }}
{%- endmacro %}
