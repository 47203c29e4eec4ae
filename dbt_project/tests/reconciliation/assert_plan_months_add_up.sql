-- Plan months add up per version and year: every line of a version lies in the version's year, and
-- the budget / current-plan gmv of fct_plan_vs_actual_monthly summed over the year's months equals
-- the staging lines of that version (no line lost or double counted by the store/category mapping).
-- meta.dagster.ref: Dagster shows this test as a check of the mart it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_plan_vs_actual_monthly'}}}) }}
with lines as (
    select * from {{ ref('int_sales_plan__versions') }}
    where {{ in_month_window('month_start') }}
),
wrong_year as (
    select brand, plan_year, plan_version, 'month outside the plan year' as problem,
           cast(null as decimal(18,2)) as expected, cast(null as decimal(18,2)) as actual
    from lines
    where {{ dbt.safe_cast("substring(month, 1, 4)", dbt.type_string()) }} <> plan_year
    group by 1, 2, 3
),
expected as (
    select brand, plan_year,
           sum(case when is_budget then target_gmv else 0 end) as budget_gmv,
           sum(case when is_current_for_month then target_gmv else 0 end) as plan_gmv
    from lines
    group by 1, 2
),
mart as (
    select brand, cast({{ date_part('year', 'month_start') }} as {{ type_varchar() }}) as plan_year,
           sum(coalesce(budget_gmv, 0)) as budget_gmv, sum(coalesce(plan_gmv, 0)) as plan_gmv
    from {{ ref('fct_plan_vs_actual_monthly') }}
    where {{ in_month_window('month_start') }}
    group by 1, 2
)
select * from wrong_year
union all
select e.brand, e.plan_year, 'budget', 'budget gmv differs', e.budget_gmv, coalesce(m.budget_gmv, 0)
from expected as e left join mart as m on e.brand = m.brand and e.plan_year = m.plan_year
where e.budget_gmv <> coalesce(m.budget_gmv, 0)
union all
select e.brand, e.plan_year, 'current', 'plan gmv differs', e.plan_gmv, coalesce(m.plan_gmv, 0)
from expected as e left join mart as m on e.brand = m.brand and e.plan_year = m.plan_year
where e.plan_gmv <> coalesce(m.plan_gmv, 0)
