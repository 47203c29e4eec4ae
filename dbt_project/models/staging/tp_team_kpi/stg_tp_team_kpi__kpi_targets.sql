select
    k._load_id                 as load_id,
    k._brand                   as brand,
    k.quarter,
    k.staff_id,
    k.staff_name,
    k.role,
    k.store                    as store_raw,
    s.store_type,
    k.kpi,
    k.weight,
    k.target,
    k.self_reported
from {{ source('raw', 'tp_team_kpi') }} as k
left join {{ ref('store_map') }} as s on k.store = s.store_raw
