-- One row per brand × campaign × store. A 全部 campaign gets a pop and a self row; its target_gmv and
-- ads_budget are split by the stores' gmv share during the campaign (evenly without gmv).
-- Windows: during = start_date..end_date; warm-up = warmup_start..start_date−1; pre-period = the same
-- number of days as `during`, immediately before the warm-up (before start_date without warm-up).
-- Last year: the same campaign_type and store the year before in the campaign plan, else the same
-- dates one year earlier (ly_basis). Ads: 京准通 cost and total_order_amount of the store's SKUs from
-- warm-up to end; roi = total_order_amount ÷ cost. top_skus: the 5 SKUs with the highest gmv during.
with plan as (
    select
        brand, campaign_code, campaign_type, store_type as plan_store,
        max(campaign_title) as campaign_title,
        max(plan_year) as plan_year,
        min(coalesce(warmup_start, start_date)) as warmup_start,
        min(start_date) as start_date,
        max(end_date) as end_date,
        max(target_gmv) as target_gmv,
        max(ads_budget) as ads_budget,
        sum(resource_cost) as resource_cost
    from {{ ref('stg_tp_campaign_plan__campaign_resources') }}
    group by 1, 2, 3, 4
),
stores as (
    select store_type from {{ ref('stores') }}
),
expanded as (
    select
        p.*,
        s.store_type,
        {{ dbt.datediff('p.start_date', 'p.end_date', 'day') }} + 1 as days_during
    from plan as p
    join stores as s on p.plan_store = s.store_type or p.plan_store = 'all'
),
sales as (
    select * from {{ ref('fct_sales_daily') }}
),
windows as (
    select
        e.*,
        cast({{ dbt.dateadd('day', '-1', 'e.start_date') }} as date)   as warmup_end,
        cast({{ dbt.dateadd('day', '-1', 'e.warmup_start') }} as date) as pre_end,
        cast({{ dbt.dateadd('day', '0 - e.days_during', 'e.warmup_start') }} as date) as pre_start
    from expanded as e
),
gmv as (
    select
        w.brand, w.campaign_code, w.store_type,
        sum(case when s.date_day between w.start_date and w.end_date then s.gmv end)      as gmv_during,
        sum(case when s.date_day between w.warmup_start and w.warmup_end then s.gmv end)  as gmv_warmup,
        sum(case when s.date_day between w.pre_start and w.pre_end then s.gmv end)        as gmv_pre_period,
        sum(case when s.date_day between w.start_date and w.end_date then s.units end)    as units_during
    from windows as w
    left join sales as s
        on s.brand = w.brand and s.store_type = w.store_type
       and s.date_day between w.pre_start and w.end_date
    group by 1, 2, 3
),
ly_same_dates as (
    select
        w.brand, w.campaign_code, w.store_type,
        sum(s.gmv) as gmv
    from windows as w
    join sales as s
        on s.brand = w.brand and s.store_type = w.store_type
       and s.date_day between cast({{ dbt.dateadd('year', '-1', 'w.start_date') }} as date)
                          and cast({{ dbt.dateadd('year', '-1', 'w.end_date') }} as date)
    group by 1, 2, 3
),
with_gmv as (
    select w.*, g.gmv_during, g.gmv_warmup, g.gmv_pre_period, g.units_during
    from windows as w
    left join gmv as g
        on w.brand = g.brand and w.campaign_code = g.campaign_code and w.store_type = g.store_type
),
ly_campaign as (
    select
        cur.brand, cur.campaign_code, cur.store_type,
        max(prev.gmv_during) as gmv
    from with_gmv as cur
    join with_gmv as prev
        on prev.brand = cur.brand and prev.store_type = cur.store_type
       and prev.campaign_type = cur.campaign_type
       and {{ date_part('year', 'prev.start_date') }} = {{ date_part('year', 'cur.start_date') }} - 1
    group by 1, 2, 3
),
ads as (
    select
        w.brand, w.campaign_code, w.store_type,
        sum(a.cost) as ads_cost,
        sum(a.total_order_amount) as ads_order_amount
    from windows as w
    join {{ ref('fct_ads_daily') }} as a
        on a.brand = w.brand and a.store_type = w.store_type
       and a.date_day between w.warmup_start and w.end_date
    group by 1, 2, 3
),
sku_rank as (
    select
        w.brand, w.campaign_code, w.store_type, s.sku_id,
        sum(s.gmv) as sku_gmv
    from windows as w
    join sales as s
        on s.brand = w.brand and s.store_type = w.store_type
       and s.date_day between w.start_date and w.end_date
    group by 1, 2, 3, 4
),
sku_ranked as (
    select *, row_number() over (partition by brand, campaign_code, store_type order by sku_gmv desc, sku_id asc) as rn
    from sku_rank
),
top_skus as (
    select brand, campaign_code, store_type,
           {{ dbt.listagg('sku_id', "', '", "order by rn") }} as top_skus
    from sku_ranked
    where rn <= 5
    group by 1, 2, 3
),
final as (
    select
        g.*,
        sum(coalesce(g.gmv_during, 0)) over (partition by g.brand, g.campaign_code) as campaign_gmv_during,
        count(*) over (partition by g.brand, g.campaign_code) as n_store_rows
    from with_gmv as g
),
split as (
    select
        f.*,
        cast(case when f.plan_store <> 'all' then f.target_gmv
                  when f.campaign_gmv_during = 0 then f.target_gmv / f.n_store_rows
                  else f.target_gmv * coalesce(f.gmv_during, 0) / f.campaign_gmv_during end
             as decimal(18,2)) as store_target_gmv,
        cast(case when f.plan_store <> 'all' then f.ads_budget
                  when f.campaign_gmv_during = 0 then f.ads_budget / f.n_store_rows
                  else f.ads_budget * coalesce(f.gmv_during, 0) / f.campaign_gmv_during end
             as decimal(18,2)) as store_ads_budget
    from final as f
)
select
    cast(f.brand as {{ type_varchar() }})                 as brand,
    cast(f.campaign_code as {{ type_varchar() }})         as campaign_code,
    cast(f.store_type as {{ type_varchar() }})            as store_type,
    cast(f.campaign_title as {{ type_varchar() }})        as campaign_title,
    cast(f.campaign_type as {{ type_varchar() }})         as campaign_type,
    cast(f.plan_store as {{ type_varchar() }})            as plan_store,
    cast(f.warmup_start as date)             as warmup_start,
    cast(f.start_date as date)               as start_date,
    cast(f.end_date as date)                 as end_date,
    cast(f.days_during as integer)           as days_during,
    f.store_target_gmv                   as target_gmv,
    f.store_ads_budget                   as ads_budget,
    cast(coalesce(f.gmv_during, 0) as decimal(18,2))     as gmv_during,
    cast(coalesce(f.gmv_warmup, 0) as decimal(18,2))     as gmv_warmup,
    cast(coalesce(f.gmv_pre_period, 0) as decimal(18,2)) as gmv_pre_period,
    cast(coalesce(f.units_during, 0) as bigint)          as units_during,
    cast(coalesce(lc.gmv, ld.gmv) as decimal(18,2))      as ly_gmv,
    cast(case when lc.gmv is not null then 'campaign'
              when ld.gmv is not null then 'same_dates' end as {{ type_varchar() }}) as ly_basis,
    {{ safe_ratio('f.gmv_during', 'f.store_target_gmv') }}     as achievement_vs_target,
    cast(coalesce(a.ads_cost, 0) as decimal(18,2))       as ads_cost,
    cast(coalesce(a.ads_order_amount, 0) as decimal(18,2)) as ads_order_amount,
    {{ safe_ratio('a.ads_order_amount', 'a.ads_cost') }} as roi,
    cast(f.resource_cost as decimal(18,2))               as resource_cost,
    cast(t.top_skus as {{ type_varchar() }})                          as top_skus
from split as f
left join ly_campaign as lc
    on f.brand = lc.brand and f.campaign_code = lc.campaign_code and f.store_type = lc.store_type
left join ly_same_dates as ld
    on f.brand = ld.brand and f.campaign_code = ld.campaign_code and f.store_type = ld.store_type
left join ads as a
    on f.brand = a.brand and f.campaign_code = a.campaign_code and f.store_type = a.store_type
left join top_skus as t
    on f.brand = t.brand and f.campaign_code = t.campaign_code and f.store_type = t.store_type
