-- fct_sales_daily totals = staging totals per day, brand and store (window only when vars are set).
-- POP: Σ gmv of dealt lines, Σ (应付金额 − 运费金额) once per dealt order, Σ qty; self: Σ 收入, Σ 财务销量.
-- meta.dagster.ref: Dagster shows this test as a check of the mart it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_sales_daily'}}}) }}
with pop_lines as (
    select order_date as date_day, brand, order_id,
           sum(gmv) as gmv, sum(qty) as units, max(payable_amount - coalesce(freight, 0)) as order_net
    from {{ ref('stg_jd_pop_orders__order_lines') }}
    where is_dealt and {{ test_window('order_date') }}
    group by 1, 2, 3
),
staging as (
    select date_day, brand, 'pop' as store_type, sum(gmv) as gmv, sum(order_net) as net_sales, sum(units) as units
    from pop_lines group by 1, 2, 3
    union all
    select date_day, brand, 'self', sum(revenue), sum(revenue), sum(units)
    from {{ ref('stg_jd_vc_sales__sku_daily') }}
    where {{ test_window('date_day') }}
    group by 1, 2, 3
),
mart as (
    select date_day, brand, store_type, sum(gmv) as gmv, sum(net_sales) as net_sales, sum(units) as units
    from {{ ref('fct_sales_daily') }}
    where {{ test_window('date_day') }}
    group by 1, 2, 3
)
select
    coalesce(s.date_day, m.date_day) as date_day,
    coalesce(s.brand, m.brand) as brand,
    coalesce(s.store_type, m.store_type) as store_type,
    s.gmv as staging_gmv, m.gmv as mart_gmv,
    s.net_sales as staging_net_sales, m.net_sales as mart_net_sales,
    s.units as staging_units, m.units as mart_units
from staging as s
full outer join mart as m
    on s.date_day = m.date_day and s.brand = m.brand and s.store_type = m.store_type
where coalesce(s.gmv, -1) <> coalesce(m.gmv, -1)
   or coalesce(s.net_sales, -1) <> coalesce(m.net_sales, -1)
   or coalesce(s.units, -1) <> coalesce(m.units, -1)
