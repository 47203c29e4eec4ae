select
    _load_id as load_id,
    _brand   as brand,
    'self'   as store_type,
    date_day,
    sku_id,
    sku_name,
    dc,
    dc = '全国' as is_national_total,
    on_hand,
    available,
    inbound_open,
    unsellable,
    shipped_units,
    days_of_cover
from {{ source('raw', 'jd_vc_inventory') }}
