-- Regional budget vs actual (marts.md, Regions), month × brand × store × region.
-- budget_gmv = 目标GMV of the first version of the plan year (earliest 发布日期), plan_gmv = the current
-- version for the month (latest 发布日期 with lines for that month), from int_region_budget__versions;
-- actual_gmv = fct_region_sales_monthly.gmv (self-operated: the shipment-based estimate, is_estimate).
-- Rebuilt whole every run (a table of a few thousand rows from two small inputs): a budget revision
-- is a yearly delivery that restates months outside any day window.
with budget as (
    select
        month_start, brand, store_type, region,
        sum(case when is_budget then target_gmv end)            as budget_gmv,
        sum(case when is_current_for_month then target_gmv end) as plan_gmv
    from {{ ref('int_region_budget__versions') }}
    where (is_budget or is_current_for_month) and store_type in ('pop', 'self')
    group by 1, 2, 3, 4
),
actual as (
    select month_start, brand, store_type, region, gmv, is_estimate
    from {{ ref('fct_region_sales_monthly') }}
),
keys as (
    select month_start, brand, store_type, region from budget
    union
    select month_start, brand, store_type, region from actual
)
select
    cast({{ format_month('k.month_start') }} as {{ type_varchar() }})       as month,
    cast(k.month_start as date)                                as month_start,
    cast(k.brand as {{ type_varchar() }})                                   as brand,
    cast(k.store_type as {{ type_varchar() }})                              as store_type,
    cast(k.region as {{ type_varchar() }})                                  as region,
    cast(b.budget_gmv as decimal(18,2))                        as budget_gmv,
    cast(b.plan_gmv as decimal(18,2))                          as plan_gmv,
    cast(coalesce(a.gmv, 0) as decimal(18,2))                  as actual_gmv,
    {{ safe_ratio('coalesce(a.gmv, 0)', 'b.plan_gmv') }}       as achievement_vs_plan,
    {{ safe_ratio('coalesce(a.gmv, 0)', 'b.budget_gmv') }}     as achievement_vs_budget,
    cast(coalesce(a.is_estimate, k.store_type = 'self') as boolean) as is_estimate
from keys as k
left join budget as b
    on k.month_start = b.month_start and k.brand = b.brand and k.store_type = b.store_type and k.region = b.region
left join actual as a
    on k.month_start = a.month_start and k.brand = a.brand and k.store_type = a.store_type and k.region = a.region
