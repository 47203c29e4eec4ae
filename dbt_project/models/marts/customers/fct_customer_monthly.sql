{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_from_window_month('month_start') }}"
) }}
{{- spark_incremental_config('month_start') }}
-- POP buyers per month × brand × segment (marts.md, Customers). new = first month (first dealt line
-- in the brand's whole loaded history) is this month; returning = an earlier one. Both segments are
-- present for every brand-month with a buyer (0 when none), so BI never reads a missing row as NULL.
-- Incremental: every month from the window's first month on (macros/history_window.sql).
with buyer_months as (
    select b.*, f.first_month_start
    from {{ ref('int_pop_buyer_months') }} as b
    join {{ ref('int_pop_buyers__first_month') }} as f
        on b.brand = f.brand and b.buyer_key = f.buyer_key
    where {{ from_window_month('b.month_start') }}
),
by_segment as (
    select
        brand,
        month_start,
        case when first_month_start = month_start then 'new' else 'returning' end as segment,
        count(*)                                       as buyers,
        sum(orders)                                    as orders,
        sum(units)                                     as units,
        sum(gmv)                                       as gmv,
        sum(net_sales)                                 as net_sales,
        sum(case when orders >= 2 then 1 else 0 end)   as multi_order_buyers
    from buyer_months
    group by 1, 2, 3
),
keys as (
    select distinct bm.brand, bm.month_start, s.segment
    from buyer_months as bm
    cross join (select 'new' as segment union all select 'returning' as segment) as s
)
select
    cast({{ format_month('k.month_start') }} as {{ type_varchar() }})          as month,
    cast(k.month_start as date)                                   as month_start,
    cast(k.brand as {{ type_varchar() }})                                      as brand,
    cast(k.segment as {{ type_varchar() }})                                    as segment,
    cast(coalesce(s.buyers, 0) as bigint)                         as buyers,
    cast(coalesce(s.orders, 0) as bigint)                         as orders,
    cast(coalesce(s.units, 0) as bigint)                          as units,
    cast(coalesce(s.gmv, 0) as decimal(18,2))                     as gmv,
    cast(coalesce(s.net_sales, 0) as decimal(18,2))               as net_sales,
    cast(coalesce(s.multi_order_buyers, 0) as bigint)             as multi_order_buyers,
    {{ safe_ratio('s.multi_order_buyers', 's.buyers') }}          as repeat_rate,
    cast(greatest({{ dbt.datediff('h.first_whole_month_start', 'k.month_start', 'month') }}, 0) as integer)
                                                                  as history_months,
    greatest({{ dbt.datediff('h.first_whole_month_start', 'k.month_start', 'month') }}, 0) < 12
                                                                  as is_history_short
from keys as k
join {{ ref('int_pop_order_history') }} as h
    on k.brand = h.brand
left join by_segment as s
    on k.brand = s.brand and k.month_start = s.month_start and k.segment = s.segment
