-- sources.md, fin_region_budget: the regions of a version add up to that version's store total for
-- the month in fin_sales_plan when both were published together (same brand, plan year and 发布日期);
-- a difference is a warning, not a failure. Versions published on different days are not compared.
-- meta.dagster.ref: Dagster shows this test as a check of the model it reconciles (it reads several models)
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_fin_region_budget__region_lines'}}}) }}
with regions as (
    select brand, plan_year, published_on, plan_version, month_start, store_type, sum(target_gmv) as region_gmv
    from {{ ref('stg_fin_region_budget__region_lines') }}
    group by 1, 2, 3, 4, 5, 6
),
plan as (
    select brand, plan_year, published_on, month_start, store_type, sum(target_gmv) as plan_gmv
    from {{ ref('stg_fin_sales_plan__plan_lines') }}
    group by 1, 2, 3, 4, 5
)
select r.brand, r.plan_year, r.plan_version, r.published_on, r.month_start, r.store_type, r.region_gmv, p.plan_gmv
from regions as r
join plan as p
    on r.brand = p.brand and r.plan_year = p.plan_year and r.published_on = p.published_on
   and r.month_start = p.month_start and r.store_type = p.store_type
where r.region_gmv <> p.plan_gmv
