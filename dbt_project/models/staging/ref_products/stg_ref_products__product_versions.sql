-- Every delivery of the product master; the newest delivery per brand is picked in int_ref_products__current.
select
    p._load_id                 as load_id,
    p._brand                   as brand,
    cast(p._period as date)    as delivered_on,
    p.sku_id,
    p.store                    as store_raw,
    s.store_type,
    p.article_code,
    p.sku_name,
    p.category,
    p.subcategory,
    p.gtm_season,
    p.launch_date,
    p.delist_date,
    p.list_price,
    p.unit_cogs,
    p.status
from {{ source('raw', 'ref_products') }} as p
left join {{ ref('store_map') }} as s on p.store = s.store_raw
