{{ config(materialized='table') }}
-- Rebuilt whole on every run (docs/marts_notes.md, "Nightly equals rebuild"): the category of actuals
-- is the *current* product master's 品类 (a master change re-files every month), and a plan revision
-- changes the plan of every month it covers. It reads the daily marts aggregated, not raw lines.
-- month × brand × store × category (product master 品类; '(unmapped)' for SKUs not in the master).
-- budget = first version of the year, plan = current version (int_sales_plan__versions);
-- actual_gmv = Σ fct_sales_daily.gmv; ads actual = Σ fct_ads_daily.cost by the SKU's store and category.
with plan as (
    select
        month_start, brand, store_type, category,
        sum(case when is_budget then target_gmv end)    as budget_gmv,
        sum(case when is_current_for_month then target_gmv end)   as plan_gmv,
        sum(case when is_budget then target_units end)  as budget_units,
        sum(case when is_current_for_month then target_units end) as plan_units,
        sum(case when is_budget then ads_budget end)    as budget_ads,
        sum(case when is_current_for_month then ads_budget end)   as plan_ads
    from {{ ref('int_sales_plan__versions') }}
    where is_budget or is_current_for_month
    group by 1, 2, 3, 4
),
sales as (
    select
        cast({{ dbt.date_trunc('month', 's.date_day') }} as date) as month_start,
        s.brand, s.store_type,
        coalesce(d.category, '(unmapped)') as category,
        sum(s.gmv) as gmv,
        sum(s.units) as units
    from {{ ref('fct_sales_daily') }} as s
    left join {{ ref('dim_sku') }} as d on s.brand = d.brand and s.sku_id = d.sku_id
    group by 1, 2, 3, 4
),
ads as (
    select
        cast({{ dbt.date_trunc('month', 'a.date_day') }} as date) as month_start,
        a.brand,
        coalesce(a.store_type, '(unmapped)') as store_type,
        coalesce(d.category, '(unmapped)') as category,
        sum(a.cost) as cost
    from {{ ref('fct_ads_daily') }} as a
    left join {{ ref('dim_sku') }} as d on a.brand = d.brand and a.sku_id = d.sku_id
    group by 1, 2, 3, 4
),
keys as (
    select month_start, brand, store_type, category from plan
    union
    select month_start, brand, store_type, category from sales
    union
    select month_start, brand, store_type, category from ads where store_type in ('pop', 'self')
)
select
    cast({{ format_month('k.month_start') }} as {{ type_varchar() }})    as month,
    cast(k.month_start as date)                 as month_start,
    cast(k.brand as {{ type_varchar() }})                    as brand,
    cast(k.store_type as {{ type_varchar() }})               as store_type,
    cast(k.category as {{ type_varchar() }})                 as category,
    cast(p.budget_gmv as decimal(18,2))         as budget_gmv,
    cast(p.plan_gmv as decimal(18,2))           as plan_gmv,
    cast(coalesce(s.gmv, 0) as decimal(18,2))   as actual_gmv,
    {{ safe_ratio('coalesce(s.gmv, 0)', 'p.plan_gmv') }}   as achievement_vs_plan,
    {{ safe_ratio('coalesce(s.gmv, 0)', 'p.budget_gmv') }} as achievement_vs_budget,
    cast(ly.gmv as decimal(18,2))               as ly_actual_gmv,
    {{ safe_ratio('coalesce(s.gmv, 0) - ly.gmv', 'ly.gmv') }} as yoy_growth,
    cast(p.budget_units as bigint)              as budget_units,
    cast(p.plan_units as bigint)                as plan_units,
    cast(coalesce(s.units, 0) as bigint)        as actual_units,
    cast(p.budget_ads as decimal(18,2))         as budget_ads,
    cast(p.plan_ads as decimal(18,2))           as plan_ads,
    cast(coalesce(a.cost, 0) as decimal(18,2))  as actual_ads,
    {{ safe_ratio('coalesce(a.cost, 0)', 'p.budget_ads') }} as ads_vs_budget
from keys as k
left join plan as p
    on k.month_start = p.month_start and k.brand = p.brand and k.store_type = p.store_type and k.category = p.category
left join sales as s
    on k.month_start = s.month_start and k.brand = s.brand and k.store_type = s.store_type and k.category = s.category
left join sales as ly
    on ly.month_start = cast({{ dbt.dateadd('year', '-1', 'k.month_start') }} as date)
   and k.brand = ly.brand and k.store_type = ly.store_type and k.category = ly.category
left join ads as a
    on k.month_start = a.month_start and k.brand = a.brand and k.store_type = a.store_type and k.category = a.category
