select
    _load_id                   as load_id,
    _brand                     as brand,
    month,
    {{ month_to_date('month') }} as month_start,
    cat_l3,
    rank,
    brand_name,
    deal_index,
    visitor_index,
    search_index,
    deal_amount_range,
    deal_amount_low,
    deal_amount_high
from {{ source('raw', 'jd_sz_industry') }}
