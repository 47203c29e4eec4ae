{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('date_day') }}"
) }}
{{- spark_incremental_config('date_day') }}
-- POP: dealt lines (paid, not 已取消) of jd_pop_orders by order date; self-operated: jd_vc_sales
-- (units = 财务销量, gmv = net_sales = 收入) with orders / buyers from 商智 (成交单量, 成交客户数).
with pop as (
    select
        order_date                      as date_day,
        brand,
        'pop'                           as store_type,
        sku_id,
        sum(qty)                        as units,
        sum(gmv)                        as gmv,
        sum(net_sales)                  as net_sales,
        count(distinct order_id)        as orders,
        count(distinct buyer_key)       as buyers
    from {{ ref('int_pop_order_lines__allocated') }}
    where is_dealt
      and {{ in_date_window('order_date') }}
    group by 1, 2, 3, 4
),
vc as (
    select date_day, brand, sku_id, sum(units) as units, sum(revenue) as revenue
    from {{ ref('stg_jd_vc_sales__sku_daily') }}
    where {{ in_date_window('date_day') }}
    group by 1, 2, 3
),
sz as (
    select date_day, brand, sku_id, sum(deal_orders) as deal_orders, sum(deal_buyers) as deal_buyers
    from {{ ref('stg_jd_sz_sku__sku_daily') }}
    where store_type = 'self'
      and {{ in_date_window('date_day') }}
    group by 1, 2, 3
),
self_operated as (
    select
        vc.date_day,
        vc.brand,
        'self'          as store_type,
        vc.sku_id,
        vc.units,
        vc.revenue      as gmv,
        vc.revenue      as net_sales,
        sz.deal_orders  as orders,
        sz.deal_buyers  as buyers
    from vc
    left join sz on vc.date_day = sz.date_day and vc.brand = sz.brand and vc.sku_id = sz.sku_id
),
unioned as (
    select * from pop
    union all
    select * from self_operated
)
select
    cast(date_day as date)            as date_day,
    cast(brand as {{ type_varchar() }})            as brand,
    cast(store_type as {{ type_varchar() }})       as store_type,
    cast(sku_id as {{ type_varchar() }})           as sku_id,
    cast(units as bigint)             as units,
    cast(gmv as decimal(18,2))        as gmv,
    cast(net_sales as decimal(18,2))  as net_sales,
    cast(orders as bigint)            as orders,
    cast(buyers as bigint)            as buyers
from unioned
