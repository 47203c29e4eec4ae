{{ config(materialized='table') }}
-- Rebuilt whole on every run (docs/marts_notes.md, "Nightly equals rebuild"): cogs and the commission
-- estimate use the *current* product master (unit_cogs, 品类), so a master change restates every
-- month; sell-in moves between months with a PO line's 完成时间; GL re-deliveries move vouchers between
-- months. It reads the daily marts aggregated (one row per day × brand × store × SKU), not raw lines.
-- E-commerce P&L per month × brand × store (marts.md). revenue: POP = net_sales, self = sell-in;
-- cogs = units × product-master unit_cogs (POP units sold, self units received); cost lines = ledger of
-- the store's cost centre; allocated_shared = JD-共享 split by gmv share. A brand-month without any
-- ledger line is an estimate: ads = 京准通 cost of the store's SKUs, POP commission = rate card ×
-- net_sales (by 品类, the brand's rate card in brands.yaml), every other cost line and allocated_shared 0.
{% set cost_types = ['commission', 'platform_fee', 'ads', 'agency_fee', 'logistics', 'campaign', 'samples', 'staff', 'other'] %}
with skus as (
    select brand, sku_id, category, unit_cogs from {{ ref('dim_sku') }}
),
rates as (
    select brand, category, commission_rate from {{ ref('stg_config__pop_commission_rates') }}
),
default_rates as (
    select brand, commission_rate from rates where category = '*'
),
sales as (
    select
        cast({{ dbt.date_trunc('month', 's.date_day') }} as date) as month_start,
        s.brand, s.store_type,
        sum(s.gmv) as gmv,
        sum(s.net_sales) as net_sales,
        sum(s.units) as units,
        sum(s.units * coalesce(k.unit_cogs, 0)) as cogs_sold,
        sum(s.net_sales * coalesce(r.commission_rate, d.commission_rate, 0)) as commission_estimate
    from {{ ref('fct_sales_daily') }} as s
    left join skus as k on s.brand = k.brand and s.sku_id = k.sku_id
    left join rates as r on s.brand = r.brand and k.category = r.category
    left join default_rates as d on s.brand = d.brand
    group by 1, 2, 3
),
sell_in as (
    select
        cast({{ dbt.date_trunc('month', 'i.date_day') }} as date) as month_start,
        i.brand,
        'self' as store_type,
        sum(i.sell_in_amount) as sell_in_amount,
        sum(i.units_received) as units_received,
        sum(i.units_received * coalesce(k.unit_cogs, 0)) as cogs_received
    from {{ ref('fct_sell_in_daily') }} as i
    left join skus as k on i.brand = k.brand and i.sku_id = k.sku_id
    group by 1, 2, 3
),
ads as (
    select
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        brand, store_type,
        sum(cost) as ads_cost
    from {{ ref('fct_ads_daily') }}
    where store_type is not null
    group by 1, 2, 3
),
ledger as (
    select month_start, brand, cost_center, cost_type, amount
    from {{ ref('stg_fin_opex_actuals__ledger_lines') }}
),
ledger_months as (
    select distinct brand, month_start from ledger
),
ledger_by_store as (
    select
        month_start, brand, cost_center as store_type,
        {% for ct in cost_types %}
        sum(case when cost_type = '{{ ct }}' then amount else 0 end) as ledger_{{ ct }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from ledger
    where cost_center in ('pop', 'self')
    group by 1, 2, 3
),
shared as (
    select brand, month_start, store_type, allocated_shared
    from {{ ref('int_shared_cost__allocated') }}
),
brand_months as (
    select brand, month_start from sales
    union
    select brand, month_start from sell_in
    union
    select brand, month_start from ledger_months
    union
    select brand, month_start from ads
),
grid as (
    select bm.brand, bm.month_start, st.store_type
    from brand_months as bm
    cross join {{ ref('stores') }} as st
),
lines as (
    select
        g.month_start,
        g.brand,
        g.store_type,
        lm.brand is null as is_estimate,
        coalesce(s.gmv, 0) as gmv,
        case when g.store_type = 'pop' then coalesce(s.net_sales, 0)
             else coalesce(i.sell_in_amount, 0) end as revenue,
        round(case when g.store_type = 'pop' then coalesce(s.cogs_sold, 0)
                   else coalesce(i.cogs_received, 0) end, 2) as cogs,
        {% for ct in cost_types %}
        case
            when lm.brand is not null then coalesce(l.ledger_{{ ct }}, 0)
            {% if ct == 'ads' %}
            else coalesce(a.ads_cost, 0)
            {% elif ct == 'commission' %}
            else case when g.store_type = 'pop' then round(coalesce(s.commission_estimate, 0), 2) else 0 end
            {% else %}
            else 0
            {% endif %}
        end as {{ ct }},
        {% endfor %}
        case when lm.brand is not null then coalesce(sh.allocated_shared, 0) else 0 end as allocated_shared
    from grid as g
    left join ledger_months as lm on g.brand = lm.brand and g.month_start = lm.month_start
    left join sales as s on g.brand = s.brand and g.month_start = s.month_start and g.store_type = s.store_type
    left join sell_in as i on g.brand = i.brand and g.month_start = i.month_start and g.store_type = i.store_type
    left join ads as a on g.brand = a.brand and g.month_start = a.month_start and g.store_type = a.store_type
    left join ledger_by_store as l on g.brand = l.brand and g.month_start = l.month_start and g.store_type = l.store_type
    left join shared as sh on g.brand = sh.brand and g.month_start = sh.month_start and g.store_type = sh.store_type
),
pnl as (
    select
        *,
        revenue - cogs as gross_margin,
        revenue - cogs
            {% for ct in cost_types %} - {{ ct }}{% endfor %}
            - allocated_shared as contribution
    from lines
)
select
    cast({{ format_month('month_start') }} as {{ type_varchar() }}) as month,
    cast(month_start as date)               as month_start,
    cast(brand as {{ type_varchar() }})                  as brand,
    cast(store_type as {{ type_varchar() }})             as store_type,
    cast(gmv as decimal(18,2))              as gmv,
    cast(revenue as decimal(18,2))          as revenue,
    cast(cogs as decimal(18,2))             as cogs,
    cast(gross_margin as decimal(18,2))     as gross_margin,
    {% for ct in cost_types %}
    cast({{ ct }} as decimal(18,2))         as {{ ct }},
    {% endfor %}
    cast(allocated_shared as decimal(18,2)) as allocated_shared,
    cast(contribution as decimal(18,2))     as contribution,
    {{ safe_ratio('contribution', 'revenue') }} as contribution_margin_pct,
    cast(is_estimate as boolean)            as is_estimate
from pnl
