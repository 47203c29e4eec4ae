-- One row per campaign × resource slot; campaign-level fields (dates, target_gmv, ads_budget) repeat on each row.
select
    c._load_id                 as load_id,
    c._brand                   as brand,
    c._period                  as plan_year,
    c.campaign_code,
    c.campaign_title,
    c.campaign_type,
    c.store                    as store_raw,
    s.store_type,
    c.warmup_start,
    c.start_date,
    c.end_date,
    c.target_gmv,
    c.ads_budget,
    c.resource_slot,
    c.resource_terms,
    c.resource_cost
from {{ source('raw', 'tp_campaign_plan') }} as c
left join {{ ref('store_map') }} as s on c.store = s.store_raw
