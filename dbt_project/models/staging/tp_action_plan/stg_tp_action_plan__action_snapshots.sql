select
    a._load_id                 as load_id,
    a._brand                   as brand,
    cast(a._period as date)    as snapshot_date,
    a.action_id,
    a.horizon,
    a.plan_start,
    a.action,
    a.owner_id,
    a.store                    as store_raw,
    s.store_type,
    a.due_date,
    a.status,
    a.metric,
    a.target,
    a.current
from {{ source('raw', 'tp_action_plan') }} as a
left join {{ ref('store_map') }} as s on a.store = s.store_raw
