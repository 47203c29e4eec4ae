{{ config(materialized='table') }}
-- Rebuilt whole on every run (docs/marts_notes.md, "Nightly equals rebuild"): a GL re-delivery can move
-- vouchers between months, and QTD / YTD carry any month's change into the months after it; an
-- OPEX budget revision changes the plan of every month it covers. The inputs are a few thousand lines.
-- month × brand × cost_center (pop, self, shared — not allocated here) × cost_type.
-- actual = Σ ledger (debit − credit); budget = first version of the year; plan = current version;
-- variance = actual − budget, variance_vs_plan = actual − plan. MTD = the month; QTD / YTD = the months
-- of the quarter / year up to and including this one.
with actual as (
    select month_start, brand, cost_center, cost_type, sum(amount) as actual
    from {{ ref('stg_fin_opex_actuals__ledger_lines') }}
    group by 1, 2, 3, 4
),
budget as (
    select
        month_start, brand, cost_center, cost_type,
        sum(case when is_budget then budget_amount end)  as budget,
        sum(case when is_current_for_month then budget_amount end) as plan
    from {{ ref('int_opex_budget__versions') }}
    where is_budget or is_current_for_month
    group by 1, 2, 3, 4
),
keys as (
    select month_start, brand, cost_center, cost_type from actual
    union
    select month_start, brand, cost_center, cost_type from budget
),
base as (
    select
        k.month_start, k.brand, k.cost_center, k.cost_type,
        cast({{ dbt.date_trunc('quarter', 'k.month_start') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'k.month_start') }} as date)    as year_start,
        coalesce(a.actual, 0) as actual,
        coalesce(b.budget, 0) as budget,
        coalesce(b.plan, 0)   as plan
    from keys as k
    left join actual as a
        on k.month_start = a.month_start and k.brand = a.brand and k.cost_center = a.cost_center and k.cost_type = a.cost_type
    left join budget as b
        on k.month_start = b.month_start and k.brand = b.brand and k.cost_center = b.cost_center and k.cost_type = b.cost_type
),
cumulative as (
    select
        b.month_start, b.brand, b.cost_center, b.cost_type,
        sum(case when c.month_start >= b.quarter_start then c.actual else 0 end) as qtd_actual,
        sum(case when c.month_start >= b.quarter_start then c.budget else 0 end) as qtd_budget,
        sum(c.actual) as ytd_actual,
        sum(c.budget) as ytd_budget
    from base as b
    join base as c
        on c.brand = b.brand and c.cost_center = b.cost_center and c.cost_type = b.cost_type
       and c.month_start between b.year_start and b.month_start
    group by 1, 2, 3, 4
)
select
    cast({{ format_month('b.month_start') }} as {{ type_varchar() }}) as month,
    cast(b.month_start as date)             as month_start,
    cast(b.brand as {{ type_varchar() }})                as brand,
    cast(b.cost_center as {{ type_varchar() }})          as cost_center,
    cast(b.cost_type as {{ type_varchar() }})            as cost_type,
    cast(b.actual as decimal(18,2))         as actual,
    cast(b.budget as decimal(18,2))         as budget,
    cast(b.plan as decimal(18,2))           as plan,
    cast(b.actual - b.budget as decimal(18,2)) as variance,
    cast(b.actual - b.plan as decimal(18,2))   as variance_vs_plan,
    cast(b.actual as decimal(18,2))         as mtd_actual,
    cast(b.budget as decimal(18,2))         as mtd_budget,
    cast(c.qtd_actual as decimal(18,2))     as qtd_actual,
    cast(c.qtd_budget as decimal(18,2))     as qtd_budget,
    cast(c.ytd_actual as decimal(18,2))     as ytd_actual,
    cast(c.ytd_budget as decimal(18,2))     as ytd_budget
from base as b
join cumulative as c
    on b.month_start = c.month_start and b.brand = c.brand and b.cost_center = c.cost_center and b.cost_type = c.cost_type
