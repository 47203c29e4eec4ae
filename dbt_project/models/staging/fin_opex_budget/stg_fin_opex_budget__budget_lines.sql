-- 费用类型 accepted as the code (ads) or the Chinese name (广告费); unknown → NULL cost_type (error test).
select
    b._load_id                 as load_id,
    b._brand                   as brand,
    b._period                  as plan_year,
    b.plan_version,
    b.published_on,
    b.month,
    {{ month_to_date('b.month') }} as month_start,
    b.cost_center              as cost_center_raw,
    cc.cost_center,
    b.cost_type                as cost_type_raw,
    ct.cost_type,
    b.budget_amount
from {{ source('raw', 'fin_opex_budget') }} as b
left join {{ ref('cost_center_map') }} as cc on b.cost_center = cc.cost_center_raw
left join {{ ref('cost_types') }} as ct
    on b.cost_type = ct.cost_type or b.cost_type = ct.cost_type_name_cn
