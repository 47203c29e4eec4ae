{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('date_day') }}"
) }}
{{- spark_incremental_config('date_day') }}
-- Headline KPIs per brand and day (definitions in headline_daily.yml). Every ratio is taken from summed
-- parts. The days of the window are recomputed; the period-to-date sums read the year (sales) or the
-- month (ads) before the window's first day. Without a window, every day is computed.
{%- set window = window_bounds() %}
{%- set lo = window[0] if window else "cast('0001-01-01' as date)" %}
{%- set hi = window[1] if window else "cast('9999-12-31' as date)" %}
with sales as (
    select
        brand,
        date_day,
        sum(gmv) as gmv,
        sum(gmv) filter (where store_type = 'pop') as gmv_pop,
        sum(gmv) filter (where store_type = 'self') as gmv_self,
        sum(net_sales) as net_sales,
        sum(units) as units,
        sum(orders) as orders
    from {{ ref('fct_sales_daily') }}
    where date_day between date_trunc('year', {{ lo }}) and {{ hi }}
    group by all
),

cum as (
    select
        *,
        sum(gmv) over (partition by brand, date_trunc('month', date_day) order by date_day) as mtd_gmv,
        sum(gmv) over (partition by brand, date_trunc('quarter', date_day) order by date_day) as qtd_gmv,
        sum(gmv) over (partition by brand, date_trunc('year', date_day) order by date_day) as ytd_gmv
    from sales
),

-- the current plan version, both stores and all categories
plan as (
    select brand, month_start, sum(target_gmv) as plan_gmv
    from {{ ref('int_sales_plan__versions') }}
    where is_current
    group by all
),

plan_days as (
    select
        c.brand,
        c.date_day,
        max(p.plan_gmv) filter (where p.month_start = date_trunc('month', c.date_day)) as month_plan_gmv,
        coalesce(sum(p.plan_gmv) filter (
            where p.month_start >= date_trunc('quarter', c.date_day)
            and p.month_start < date_trunc('month', c.date_day)
        ), 0) as q_before,
        coalesce(sum(p.plan_gmv) filter (
            where p.month_start >= date_trunc('year', c.date_day)
            and p.month_start < date_trunc('month', c.date_day)
        ), 0) as y_before
    from cum as c
    left join plan as p
        on p.brand = c.brand and p.month_start between date_trunc('year', c.date_day) and c.date_day
    group by all
),

ads as (
    select brand, date_day, sum(cost) as cost, sum(total_order_amount) as amount
    from {{ ref('fct_ads_daily') }}
    where date_day between date_trunc('month', {{ lo }}) and {{ hi }}
    group by all
),

ads_cum as (
    select
        *,
        sum(cost) over w as mtd_cost,
        sum(amount) over w as mtd_amount
    from ads
    window w as (partition by brand, date_trunc('month', date_day) order by date_day)
),

traffic as (
    select brand, date_day, sum(visitors) as visitors, sum(deal_buyers) as deal_buyers
    from {{ ref('fct_traffic_daily') }}
    where date_day between {{ lo }} and {{ hi }}
    group by all
),

-- months with ledger actuals (months still open have none and leave both sides of the ratio)
opex as (
    select brand, month_start, sum(actual) as actual
    from {{ ref('fct_opex_monthly') }}
    group by all
    having sum(abs(actual)) > 0
),

month_sales as (
    select brand, cast(date_trunc('month', date_day) as date) as month_start, sum(net_sales) as net_sales
    from {{ ref('fct_sales_daily') }}
    where date_day >= date_trunc('year', {{ lo }}) and date_day <= {{ hi }}
    group by all
),

opex_ytd as (
    select
        c.brand,
        c.date_day,
        sum(o.actual) as opex_ytd,
        sum(ms.net_sales) as opex_net_sales
    from cum as c
    inner join opex as o
        on
            o.brand = c.brand
            and o.month_start >= date_trunc('year', c.date_day)
            -- only months that have ended by the row's day: a row never reads days after it, so a
            -- day built alone (the nightly run) equals the same day built in a longer window
            and o.month_start + interval 1 month <= c.date_day + interval 1 day
    inner join month_sales as ms on ms.brand = o.brand and ms.month_start = o.month_start
    group by all
),

headline as (
    select
        c.date_day,
        c.brand,
        c.gmv,
        coalesce(c.gmv_pop, 0) as gmv_pop,
        coalesce(c.gmv_self, 0) as gmv_self,
        c.net_sales,
        c.units,
        c.orders,
        c.mtd_gmv,
        c.qtd_gmv,
        c.ytd_gmv,
        pd.month_plan_gmv,
        pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)) as plan_mtd,
        pd.q_before + pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)) as plan_qtd,
        pd.y_before + pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)) as plan_ytd,
        a.cost as ads_cost,
        a.amount as ads_order_amount,
        {{ safe_ratio('a.amount', 'a.cost') }} as ads_roi,
        {{ safe_ratio('a.mtd_amount', 'a.mtd_cost') }} as mtd_ads_roi,
        t.visitors,
        t.deal_buyers,
        t.deal_buyers / nullif(t.visitors, 0) as conversion,
        o.opex_ytd,
        {{ safe_ratio('o.opex_ytd', 'o.opex_net_sales') }} as opex_ratio_ytd
    from cum as c
    left join plan_days as pd on pd.brand = c.brand and pd.date_day = c.date_day
    left join ads_cum as a on a.brand = c.brand and a.date_day = c.date_day
    left join traffic as t on t.brand = c.brand and t.date_day = c.date_day
    left join opex_ytd as o on o.brand = c.brand and o.date_day = c.date_day
    where c.date_day between {{ lo }} and {{ hi }}
)

select
    cast(date_day as date)                          as date_day,
    cast(brand as {{ type_varchar() }})                          as brand,
    cast(gmv as decimal(18,2))                      as gmv,
    cast(gmv_pop as decimal(18,2))                  as gmv_pop,
    cast(gmv_self as decimal(18,2))                 as gmv_self,
    cast(net_sales as decimal(18,2))                as net_sales,
    cast(units as bigint)                           as units,
    cast(orders as bigint)                          as orders,
    cast(mtd_gmv as decimal(18,2))                  as mtd_gmv,
    cast(qtd_gmv as decimal(18,2))                  as qtd_gmv,
    cast(ytd_gmv as decimal(18,2))                  as ytd_gmv,
    cast(month_plan_gmv as decimal(18,2))           as month_plan_gmv,
    cast(plan_mtd as decimal(18,2))                 as plan_mtd,
    cast(plan_qtd as decimal(18,2))                 as plan_qtd,
    cast(plan_ytd as decimal(18,2))                 as plan_ytd,
    -- achievement from the unrounded plan to date (the plan columns above are rounded to cents)
    cast({{ safe_ratio('mtd_gmv', 'plan_mtd') }} as double) as mtd_achievement,
    cast({{ safe_ratio('qtd_gmv', 'plan_qtd') }} as double) as qtd_achievement,
    cast({{ safe_ratio('ytd_gmv', 'plan_ytd') }} as double) as ytd_achievement,
    cast(ads_cost as decimal(18,2))                 as ads_cost,
    cast(ads_order_amount as decimal(18,2))         as ads_order_amount,
    cast(ads_roi as double)                         as ads_roi,
    cast(mtd_ads_roi as double)                     as mtd_ads_roi,
    cast(visitors as bigint)                        as visitors,
    cast(deal_buyers as bigint)                     as deal_buyers,
    cast(conversion as double)                      as conversion,
    cast(opex_ytd as decimal(18,2))                 as opex_ytd,
    cast(opex_ratio_ytd as double)                  as opex_ratio_ytd
from headline
