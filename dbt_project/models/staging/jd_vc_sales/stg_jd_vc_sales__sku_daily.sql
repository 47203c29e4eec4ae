select
    _load_id as load_id,
    _brand   as brand,
    'self'   as store_type,
    date_day,
    sku_id,
    sku_name,
    brand_name,
    cat_l1,
    cat_l2,
    cat_l3,
    units,
    revenue,
    jd_cost,
    jd_gross_profit,
    coupon_deduction,
    promo_deduction
from {{ source('raw', 'jd_vc_sales') }}
