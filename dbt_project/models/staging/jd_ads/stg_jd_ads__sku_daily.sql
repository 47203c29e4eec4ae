-- 京准通 rows; 产品线 mapped to one code via seed product_line_map (unknown → NULL, which fails an error test).
select
    a._load_id                 as load_id,
    a._brand                   as brand,
    a.date_day,
    a.account_name,
    a.product_line             as product_line_raw,
    m.product_line,
    a.campaign_id,
    a.campaign_name,
    coalesce(a.campaign_name like '%海投%', false) as is_haitou,
    a.adgroup_id,
    a.adgroup_name,
    a.sku_id,
    a.impressions,
    a.clicks,
    a.cost,
    a.direct_orders,
    a.direct_order_amount,
    a.indirect_orders,
    a.indirect_order_amount,
    a.total_orders,
    a.total_order_amount,
    a.carts,
    a.attribution_days
from {{ source('raw', 'jd_ads') }} as a
left join {{ ref('product_line_map') }} as m
    on a.product_line = m.product_line_raw
