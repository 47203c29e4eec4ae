-- One row per brand × SKU: the current product master, plus SKUs seen in sales, traffic, ads, inventory
-- or POs but missing from the master (is_in_product_master = false; store from the source that shows it).
with master as (
    select * from {{ ref('int_ref_products__current') }}
),
seen as (
    select brand, sku_id, 'pop' as store_type, max(sku_name) as sku_name, cast(null as {{ type_varchar() }}) as cat_l1, cast(null as {{ type_varchar() }}) as cat_l3
    from {{ ref('stg_jd_pop_orders__order_lines') }} group by 1, 2
    union all
    select brand, sku_id, 'self', max(sku_name), max(cat_l1), max(cat_l3)
    from {{ ref('stg_jd_vc_sales__sku_daily') }} group by 1, 2
    union all
    select brand, sku_id, max(store_type), max(sku_name), max(cat_l1), max(cat_l3)
    from {{ ref('stg_jd_sz_sku__sku_daily') }} group by 1, 2
    union all
    select brand, sku_id, 'self', max(sku_name), null, null
    from {{ ref('stg_jd_vc_inventory__sku_dc_daily') }} group by 1, 2
    union all
    select brand, sku_id, 'self', max(sku_name), null, null
    from {{ ref('stg_jd_vc_purchase_orders__po_line_states') }} group by 1, 2
    union all
    select brand, sku_id, null, null, null, null
    from {{ ref('stg_jd_ads__sku_daily') }} where sku_id is not null group by 1, 2
),
seen_agg as (
    select brand, sku_id, max(store_type) as store_type, max(sku_name) as sku_name,
           max(cat_l1) as cat_l1, max(cat_l3) as cat_l3
    from seen
    group by brand, sku_id
),
keys as (
    select brand, sku_id from master
    union
    select brand, sku_id from seen_agg
)
select
    cast(k.brand as {{ type_varchar() }})                                 as brand,
    cast(k.sku_id as {{ type_varchar() }})                                as sku_id,
    cast(coalesce(m.store_type, s.store_type) as {{ type_varchar() }})    as store_type,
    cast(m.article_code as {{ type_varchar() }})                          as article_code,
    cast(coalesce(m.sku_name, s.sku_name) as {{ type_varchar() }})        as sku_name,
    cast(m.category as {{ type_varchar() }})                              as category,
    cast(m.subcategory as {{ type_varchar() }})                           as subcategory,
    cast(s.cat_l1 as {{ type_varchar() }})                                as cat_l1,
    cast(s.cat_l3 as {{ type_varchar() }})                                as cat_l3,
    cast(m.gtm_season as {{ type_varchar() }})                            as gtm_season,
    cast(m.launch_date as date)                              as launch_date,
    cast(m.delist_date as date)                              as delist_date,
    cast(m.list_price as decimal(18,2))                      as list_price,
    cast(m.unit_cogs as decimal(18,2))                       as unit_cogs,
    cast(m.status as {{ type_varchar() }})                                as status,
    m.sku_id is not null                                     as is_in_product_master
from keys as k
left join master as m on k.brand = m.brand and k.sku_id = m.sku_id
left join seen_agg as s on k.brand = s.brand and k.sku_id = s.sku_id
