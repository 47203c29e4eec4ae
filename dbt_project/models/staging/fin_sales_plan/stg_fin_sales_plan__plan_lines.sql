select
    p._load_id                 as load_id,
    p._brand                   as brand,
    p._period                  as plan_year,
    p.plan_version,
    p.published_on,
    p.month,
    {{ month_to_date('p.month') }} as month_start,
    p.store                    as store_raw,
    s.store_type,
    p.category,
    p.target_gmv,
    p.target_units,
    p.ads_budget
from {{ source('raw', 'fin_sales_plan') }} as p
left join {{ ref('store_map') }} as s on p.store = s.store_raw
