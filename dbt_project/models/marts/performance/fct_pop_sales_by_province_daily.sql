{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('date_day') }}"
) }}
{{- spark_incremental_config('date_day') }}
-- POP dealt lines by the buyer's province (from 客户地址); an unrecognised / missing province is 未知.
select
    cast(order_date as date)                        as date_day,
    cast(brand as {{ type_varchar() }})                          as brand,
    cast(coalesce(province, '未知') as {{ type_varchar() }})      as province,
    cast(max(coalesce(region, '未知')) as {{ type_varchar() }})   as region,
    cast(sum(qty) as bigint)                        as units,
    cast(sum(gmv) as decimal(18,2))                 as gmv,
    cast(sum(net_sales) as decimal(18,2))           as net_sales,
    cast(count(distinct order_id) as bigint)        as orders,
    cast(count(distinct buyer_key) as bigint)       as buyers
from {{ ref('int_pop_order_lines__allocated') }}
where is_dealt
  and {{ in_date_window('order_date') }}
group by 1, 2, 3
