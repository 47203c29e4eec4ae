{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('order_date') }}"
) }}
-- POP order lines with net_sales = (应付金额 − 运费金额) of the order allocated to its lines in proportion
-- to line gmv, to the cent (round half up, exact integer arithmetic), the rounding remainder on the
-- largest line (ties: lowest sku_id) so the lines add up to the order exactly. Order-level amounts
-- are taken once per order (they repeat on every line).
-- Incremental on the order date (an order lives in one folder date, so allocation never spans windows).
with lines as (
    select * from {{ ref('stg_jd_pop_orders__order_lines') }}
    where {{ in_date_window('order_date') }}
),
orders as (
    select
        brand,
        order_id,
        cast(round(max(payable_amount - coalesce(freight, 0)) * 100, 0) as bigint) as order_net_cents,
        cast(round(sum(gmv) * 100, 0) as bigint)                                   as order_gmv_cents,
        count(*)                                                                   as n_lines
    from lines
    group by brand, order_id
),
ranked as (
    select
        l.*,
        o.order_net_cents,
        o.order_gmv_cents,
        o.n_lines,
        cast(round(l.gmv * 100, 0) as bigint) as line_gmv_cents,
        row_number() over (partition by l.brand, l.order_id order by l.gmv desc, l.sku_id) as gmv_rank
    from lines as l
    join orders as o on l.brand = o.brand and l.order_id = o.order_id
),
rounded as (
    select
        *,
        case
            when order_gmv_cents = 0 then case when gmv_rank = 1 then order_net_cents else 0 end
            -- round half up of order_net_cents * line_gmv_cents / order_gmv_cents
            else {{ int_div('2 * order_net_cents * line_gmv_cents + order_gmv_cents', '2 * order_gmv_cents') }}
        end as alloc_cents
    from ranked
),
with_remainder as (
    select
        *,
        order_net_cents - sum(alloc_cents) over (partition by brand, order_id) as remainder_cents
    from rounded
)
select
    load_id,
    brand,
    store_type,
    order_date,
    order_id,
    sku_id,
    sku_name,
    article_code,
    qty,
    unit_price,
    gmv,
    cast(
        cast(alloc_cents + case when gmv_rank = 1 then remainder_cents else 0 end as decimal(18,0)) / 100
        as decimal(18,2)
    )                           as net_sales,
    gmv_rank = 1                as is_largest_line,
    n_lines,
    payable_amount,
    freight,
    order_status,
    is_deleted_by_merchant,
    order_type,
    buyer_key,
    province,
    region,
    order_ts,
    paid_ts,
    completed_ts,
    order_source,
    payment_method,
    is_dealt
from with_remainder
