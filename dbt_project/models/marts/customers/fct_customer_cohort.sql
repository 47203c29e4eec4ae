{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_from_window_month('activity_month_start') }}"
) }}
{{- spark_incremental_config('activity_month_start') }}
-- Cohort retention (marts.md, Customers): a cohort is the buyers of one first month; at
-- months_since k its active buyers are those with a dealt POP line in month cohort_month + k.
-- One row per cohort and every month of the brand's dealt history from the cohort month on (0
-- active buyers included), so the heat map's triangle has no holes.
-- Incremental: every row whose activity month is in or after the window's first month (a cohort
-- before it keeps its buyers; macros/history_window.sql).
with first_months as (
    select brand, buyer_key, first_month_start from {{ ref('int_pop_buyers__first_month') }}
),
cohorts as (
    select brand, first_month_start as cohort_month_start, count(*) as cohort_buyers
    from first_months
    group by 1, 2
),
months as (
    select distinct brand, month_start from {{ ref('int_pop_buyer_months') }}
    where {{ from_window_month('month_start') }}
),
activity as (
    select
        f.brand,
        f.first_month_start as cohort_month_start,
        b.month_start       as activity_month_start,
        count(*)            as active_buyers,
        sum(b.orders)       as orders,
        sum(b.gmv)          as gmv,
        sum(b.net_sales)    as net_sales
    from {{ ref('int_pop_buyer_months') }} as b
    join first_months as f
        on b.brand = f.brand and b.buyer_key = f.buyer_key
    where {{ from_window_month('b.month_start') }}
    group by 1, 2, 3
)
select
    cast({{ format_month('c.cohort_month_start') }} as {{ type_varchar() }})   as cohort_month,
    cast(c.cohort_month_start as date)                            as cohort_month_start,
    cast(c.brand as {{ type_varchar() }})                                      as brand,
    cast({{ dbt.datediff('c.cohort_month_start', 'm.month_start', 'month') }} as integer) as months_since,
    cast({{ format_month('m.month_start') }} as {{ type_varchar() }})          as activity_month,
    cast(m.month_start as date)                                   as activity_month_start,
    cast(c.cohort_buyers as bigint)                               as cohort_buyers,
    cast(coalesce(a.active_buyers, 0) as bigint)                  as active_buyers,
    {{ safe_ratio('coalesce(a.active_buyers, 0)', 'c.cohort_buyers') }} as retention_rate,
    cast(coalesce(a.orders, 0) as bigint)                         as orders,
    cast(coalesce(a.gmv, 0) as decimal(18,2))                     as gmv,
    cast(coalesce(a.net_sales, 0) as decimal(18,2))               as net_sales,
    cast(greatest({{ dbt.datediff('h.first_whole_month_start', 'c.cohort_month_start', 'month') }}, 0) as integer)
                                                                  as cohort_history_months,
    greatest({{ dbt.datediff('h.first_whole_month_start', 'c.cohort_month_start', 'month') }}, 0) < 12
                                                                  as is_history_short
from cohorts as c
join months as m
    on c.brand = m.brand and m.month_start >= c.cohort_month_start
join {{ ref('int_pop_order_history') }} as h
    on c.brand = h.brand
left join activity as a
    on c.brand = a.brand and c.cohort_month_start = a.cohort_month_start and m.month_start = a.activity_month_start
