-- Regional sales budget lines of every version; plan_year = folder year; store mapped (POP → pop, 自营 → self).
select
    b._load_id                     as load_id,
    b._brand                       as brand,
    b._period                      as plan_year,
    b.plan_version,
    b.published_on,
    b.month,
    {{ month_to_date('b.month') }} as month_start,
    b.region,
    b.store                        as store_raw,
    s.store_type,
    b.target_gmv
from {{ source('raw', 'fin_region_budget') }} as b
left join {{ ref('store_map') }} as s on b.store = s.store_raw
