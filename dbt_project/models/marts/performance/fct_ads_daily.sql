{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_date_window('date_day', var('ads_restatement_days')) }}",
              "{{ restate_ads_store_type() }}"]
) }}
{{- spark_incremental_config('date_day') }}
-- 京准通 day × product line × campaign × ad group × SKU. Attribution grows for 15 days, so a run
-- re-processes var('ads_restatement_days') days before min_date. store_type from the product master
-- (dim_sku, the current master: a master change restates it on every day, see restate_ads_store_type);
-- ratios recomputed from their parts.
with agg as (
    select
        date_day, brand, product_line, campaign_id, adgroup_id, sku_id,
        max(campaign_name) as campaign_name, max(adgroup_name) as adgroup_name,
        {{ dbt.bool_or("is_haitou") }} as is_haitou,
        sum(impressions) as impressions, sum(clicks) as clicks, sum(cost) as cost,
        sum(direct_orders) as direct_orders, sum(direct_order_amount) as direct_order_amount,
        sum(indirect_orders) as indirect_orders, sum(indirect_order_amount) as indirect_order_amount,
        sum(total_orders) as total_orders, sum(total_order_amount) as total_order_amount,
        sum(carts) as carts
    from {{ ref('stg_jd_ads__sku_daily') }}
    where {{ in_date_window('date_day', var('ads_restatement_days')) }}{{ ads_restated_days('date_day') }}
    group by 1, 2, 3, 4, 5, 6
)
select
    cast(a.date_day as date)                    as date_day,
    cast(a.brand as {{ type_varchar() }})                    as brand,
    cast(a.product_line as {{ type_varchar() }})             as product_line,
    cast(a.campaign_id as {{ type_varchar() }})              as campaign_id,
    cast(a.adgroup_id as {{ type_varchar() }})               as adgroup_id,
    cast(a.sku_id as {{ type_varchar() }})                   as sku_id,
    cast(s.store_type as {{ type_varchar() }})               as store_type,
    cast(a.campaign_name as {{ type_varchar() }})            as campaign_name,
    cast(a.adgroup_name as {{ type_varchar() }})             as adgroup_name,
    cast(a.is_haitou as boolean)                as is_haitou,
    cast(a.impressions as bigint)               as impressions,
    cast(a.clicks as bigint)                    as clicks,
    cast(a.cost as decimal(18,2))               as cost,
    cast(a.direct_orders as bigint)             as direct_orders,
    cast(a.direct_order_amount as decimal(18,2))   as direct_order_amount,
    cast(a.indirect_orders as bigint)           as indirect_orders,
    cast(a.indirect_order_amount as decimal(18,2)) as indirect_order_amount,
    cast(a.total_order_amount as decimal(18,2)) as total_order_amount,
    cast(a.total_orders as bigint)              as total_orders,
    cast(a.carts as bigint)                     as carts,
    {{ safe_ratio('a.clicks', 'a.impressions') }}          as ctr,
    {{ safe_ratio('a.cost', 'a.clicks') }}                 as cpc,
    {{ safe_ratio('a.total_order_amount', 'a.cost') }}     as roi
from agg as a
left join {{ ref('dim_sku') }} as s
    on a.brand = s.brand and a.sku_id = s.sku_id
