-- brand × GTM season (product master 上市季节) × store. Sell-through counts each SKU's sales on and
-- after its launch date (self-operated: 财务销量 / 收入, POP: dealt lines). plan_gmv: the sales plan has
-- no season dimension, so it is the current plan of the season's categories over the season window
-- (SS = March–August, AW = September–February), for the store; NULL when nothing is planned.
with skus as (
    select * from {{ ref('dim_sku') }}
    where is_in_product_master and gtm_season is not null and store_type in ('pop', 'self')
),
season_skus as (
    select
        brand, gtm_season, store_type,
        count(*) as skus_in_season,
        sum(case when launch_date is not null then 1 else 0 end) as skus_launched,
        min(launch_date) as first_launch_date
    from skus
    group by 1, 2, 3
),
sell_through as (
    select
        k.brand, k.gtm_season, k.store_type,
        sum(s.units) as units, sum(s.gmv) as gmv, sum(s.net_sales) as net_sales,
        count(distinct s.sku_id) as skus_sold
    from skus as k
    join {{ ref('fct_sales_daily') }} as s
        on s.brand = k.brand and s.sku_id = k.sku_id and s.store_type = k.store_type
       and s.date_day >= k.launch_date
    group by 1, 2, 3
),
season_months as (
    select distinct gtm_season, month_start from {{ ref('dim_date') }}
),
season_categories as (
    select distinct brand, gtm_season, store_type, category from skus where category is not null
),
plan as (
    select
        c.brand, c.gtm_season, c.store_type,
        sum(p.target_gmv) as plan_gmv
    from season_categories as c
    join season_months as m on c.gtm_season = m.gtm_season
    join {{ ref('int_sales_plan__versions') }} as p
        on p.is_current_for_month and p.brand = c.brand and p.store_type = c.store_type
       and p.category = c.category and p.month_start = m.month_start
    group by 1, 2, 3
)
select
    cast(s.brand as {{ type_varchar() }})                      as brand,
    cast(s.gtm_season as {{ type_varchar() }})                 as gtm_season,
    cast(s.store_type as {{ type_varchar() }})                 as store_type,
    cast(s.skus_in_season as bigint)              as skus_in_season,
    cast(s.skus_launched as bigint)               as skus_launched,
    cast(coalesce(t.skus_sold, 0) as bigint)      as skus_sold,
    cast(s.first_launch_date as date)             as first_launch_date,
    cast(coalesce(t.units, 0) as bigint)          as units_since_launch,
    cast(coalesce(t.gmv, 0) as decimal(18,2))     as gmv_since_launch,
    cast(coalesce(t.net_sales, 0) as decimal(18,2)) as net_sales_since_launch,
    cast(p.plan_gmv as decimal(18,2))             as plan_gmv,
    {{ safe_ratio('coalesce(t.gmv, 0)', 'p.plan_gmv') }} as achievement_vs_plan
from season_skus as s
left join sell_through as t
    on s.brand = t.brand and s.gtm_season = t.gtm_season and s.store_type = t.store_type
left join plan as p
    on s.brand = p.brand and s.gtm_season = p.gtm_season and s.store_type = p.store_type
