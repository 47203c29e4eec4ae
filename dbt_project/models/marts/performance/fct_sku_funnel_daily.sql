{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('date_day') }}"
) }}
{{- spark_incremental_config('date_day') }}
-- 商智 商品明细, both stores side by side; deal_conversion recomputed = deal_buyers / visitors.
with agg as (
    select
        date_day, brand, store_type, sku_id,
        sum(visitors) as visitors, sum(page_views) as page_views, sum(cart_buyers) as cart_buyers,
        sum(order_buyers) as order_buyers, sum(order_count) as order_count, sum(order_amount) as order_amount,
        sum(deal_buyers) as deal_buyers, sum(deal_orders) as deal_orders, sum(deal_units) as deal_units,
        sum(deal_amount) as deal_amount, sum(refund_amount) as refund_amount
    from {{ ref('stg_jd_sz_sku__sku_daily') }}
    where {{ in_date_window('date_day') }}
    group by 1, 2, 3, 4
)
select
    cast(date_day as date)                  as date_day,
    cast(brand as {{ type_varchar() }})                  as brand,
    cast(store_type as {{ type_varchar() }})             as store_type,
    cast(sku_id as {{ type_varchar() }})                 as sku_id,
    cast(visitors as bigint)                as visitors,
    cast(page_views as bigint)              as page_views,
    cast(cart_buyers as bigint)             as cart_buyers,
    cast(order_buyers as bigint)            as order_buyers,
    cast(order_count as bigint)             as order_count,
    cast(order_amount as decimal(18,2))     as order_amount,
    cast(deal_buyers as bigint)             as deal_buyers,
    cast(deal_orders as bigint)             as deal_orders,
    cast(deal_units as bigint)              as deal_units,
    cast(deal_amount as decimal(18,2))      as deal_amount,
    cast(refund_amount as decimal(18,2))    as refund_amount,
    {{ safe_ratio('deal_buyers', 'visitors') }} as deal_conversion
from agg
