{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_month_window('month_start') }}"
) }}
{{- spark_incremental_config('month_start') }}
-- One row per brand × month × buyer_key with a dealt POP line in the month (fct_sales_daily's
-- definition: paid, not 已取消). The compact input of the customer marts: a month holds each buyer
-- once, so the marts never re-read the order lines of closed months.
-- Incremental: the whole months the window touches are rebuilt (a month's figures need all its days).
-- Orders are distinct 订单号 of the buyer; an order has one buyer, so they add up across buyers.
select
    cast(brand as {{ type_varchar() }})                                              as brand,
    cast({{ dbt.date_trunc('month', 'order_date') }} as date)           as month_start,
    cast(buyer_key as {{ type_varchar() }})                                          as buyer_key,
    cast(count(distinct order_id) as bigint)                            as orders,
    cast(sum(qty) as bigint)                                            as units,
    cast(sum(gmv) as decimal(18,2))                                     as gmv,
    cast(sum(net_sales) as decimal(18,2))                               as net_sales,
    cast(min(order_date) as date)                                       as first_order_date
from {{ ref('int_pop_order_lines__allocated') }}
where is_dealt
  and buyer_key is not null
  and {{ in_month_window(dbt.date_trunc('month', 'order_date')) }}
group by 1, 2, 3
