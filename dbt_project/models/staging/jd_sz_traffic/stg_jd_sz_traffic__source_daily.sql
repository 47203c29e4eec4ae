-- Detail rows only (the loader drops 合计 subtotal rows). Missing lower levels become '' so the grain has no NULL keys.
select
    _load_id                 as load_id,
    _brand                   as brand,
    _store                   as store_type,
    date_day,
    coalesce(source_l1, '')  as source_l1,
    coalesce(source_l2, '')  as source_l2,
    coalesce(source_l3, '')  as source_l3,
    coalesce(source_l1 = '付费流量', false) as is_paid,
    visitors,
    page_views,
    deal_buyers,
    deal_amount
from {{ source('raw', 'jd_sz_traffic') }}
