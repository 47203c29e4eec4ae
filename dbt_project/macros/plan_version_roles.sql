{#-
    Version roles of a versioned finance plan (sales plan, OPEX budget), per brand and plan year:
    is_budget = the version with the earliest 发布日期 (first version of the year), is_current = the
    latest 发布日期 (ties broken by version name), is_current_for_month = the latest-published version
    that has lines for that month (a rolling revision covering only the remaining months leaves the
    earlier months on the previous version). `lines_relation` needs brand, plan_year, plan_version,
    published_on, month_start.
-#}
{% macro plan_version_roles(lines_relation) %}
with lines as (
    select * from {{ lines_relation }}
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
),
version_months as (
    select
        brand, plan_year, month_start, plan_version,
        row_number() over (
            partition by brand, plan_year, month_start
            order by min(published_on) desc, plan_version desc
        ) as rank_month
    from lines
    group by brand, plan_year, month_start, plan_version
)
select
    l.*,
    r.rank_first = 1  as is_budget,
    r.rank_last = 1   as is_current,
    vm.rank_month = 1 as is_current_for_month
from lines as l
join ranked as r
    on l.brand = r.brand and l.plan_year = r.plan_year and l.plan_version = r.plan_version
join version_months as vm
    on l.brand = vm.brand and l.plan_year = vm.plan_year and l.month_start = vm.month_start
   and l.plan_version = vm.plan_version
{% endmacro %}
