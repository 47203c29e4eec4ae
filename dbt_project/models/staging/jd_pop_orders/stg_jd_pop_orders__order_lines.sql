-- POP order lines, typed and renamed; status (删除) prefix stripped into a flag; province normalised via seed.
with src as (
    select * from {{ source('raw', 'jd_pop_orders') }}
),
-- lookup by full or short name, as an equi-join (no OR join on millions of lines)
provinces as (
    select province as lookup_name, province, region from {{ ref('province_region') }}
    union all
    select province_short, province, region from {{ ref('province_region') }}
)
select
    src._load_id                                   as load_id,
    src._brand                                     as brand,
    'pop'                                          as store_type,
    cast(src._period as date)                      as order_date,
    src.order_id,
    src.sku_id,
    src.sku_name,
    src.qty,
    src.payment_method,
    src.order_ts,
    src.unit_price,
    src.order_amount,
    src.settlement_amount,
    src.payable_amount,
    src.balance_paid,
    src.freight,
    src.order_status                               as order_status_raw,
    {{ strip_deleted_prefix('src.order_status') }} as order_status,
    {{ has_deleted_prefix('src.order_status') }}   as is_deleted_by_merchant,
    src.order_type,
    src.buyer_key,
    coalesce(p.province, src.province)             as province,
    p.region,
    src.paid_ts,
    src.article_code,
    src.completed_ts,
    src.order_source,
    {{ money('src.unit_price * src.qty') }}        as gmv,
    (src.paid_ts is not null
        and {{ strip_deleted_prefix('src.order_status') }} <> '已取消') as is_dealt
from src
left join provinces as p
    on src.province = p.lookup_name
