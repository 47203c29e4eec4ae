-- OPEX budget version roles per brand and year: budget = earliest 发布日期, current plan = latest.
with lines as (
    select * from {{ ref('stg_fin_opex_budget__budget_lines') }}
),
versions as (
    select brand, plan_year, plan_version, min(published_on) as published_on
    from lines
    group by brand, plan_year, plan_version
),
ranked as (
    select
        *,
        row_number() over (partition by brand, plan_year order by published_on asc, plan_version asc)   as rank_first,
        row_number() over (partition by brand, plan_year order by published_on desc, plan_version desc) as rank_last
    from versions
)
select
    l.*,
    r.rank_first = 1 as is_budget,
    r.rank_last = 1  as is_current
from lines as l
join ranked as r
    on l.brand = r.brand and l.plan_year = r.plan_year and l.plan_version = r.plan_version
