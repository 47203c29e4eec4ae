{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_region_sales_window() }}"
) }}
{{- spark_incremental_config('month_start') }}
-- Sales by the brand's sales region (marts.md, Regions), month × brand × store × region.
-- POP: dealt lines (fct_sales_daily's definition) by the region of the order's province in the
-- newest region master; 未分配 when the province is unknown or unmapped.
-- Self-operated: JD does not say where its retail sales happen, so the region comes from shipments:
-- units = Σ 昨日出库商品件数 of the 配送中心 rows mapped to the region over the snapshots dated in
-- the month; gmv = those units × the SKU's month revenue per unit (Σ 收入 ÷ Σ 财务销量), to the cent
-- per SKU and region (0 when the SKU has no net units sold that month); is_estimate; orders and
-- buyers NULL. net_sales = gmv for self-operated, as in fct_sales_daily.
-- Incremental: the months the window touches, plus every month of a brand whose rows were built
-- with an older region master (deleted by the pre-hook, macros/history_window.sql) and so are
-- missing here: a new master re-maps the whole history.
with master as (
    select brand, kind, name, region, master_version from {{ ref('int_ref_regions__current') }}
),
versions as (
    select brand, max(master_version) as master_version from master group by brand
),
{% if is_incremental() %}
built as (
    select distinct brand, month_start from {{ this }}
),
{% endif %}
pop_lines as (
    select
        l.brand,
        cast({{ dbt.date_trunc('month', 'l.order_date') }} as date) as month_start,
        coalesce(m.region, '未分配') as region,
        l.qty, l.gmv, l.net_sales, l.order_id, l.buyer_key
    from {{ ref('int_pop_order_lines__allocated') }} as l
    left join master as m
        on m.brand = l.brand and m.kind = 'province' and m.name = l.province
    where l.is_dealt
      and ({{ in_month_window(dbt.date_trunc('month', 'l.order_date')) }}
      {% if is_incremental() %}
           or not exists (select 1 from built as b
                          where b.brand = l.brand
                            and b.month_start = cast({{ dbt.date_trunc('month', 'l.order_date') }} as date))
      {% endif %})
),
pop as (
    select
        brand, month_start, 'pop' as store_type, region,
        sum(qty)                  as units,
        sum(gmv)                  as gmv,
        sum(net_sales)            as net_sales,
        count(distinct order_id)  as orders,
        count(distinct buyer_key) as buyers,
        false                     as is_estimate
    from pop_lines
    group by 1, 2, 3, 4
),
shipments as (
    select
        i.brand,
        cast({{ dbt.date_trunc('month', 'i.date_day') }} as date) as month_start,
        i.sku_id,
        coalesce(m.region, '未分配') as region,
        sum(i.shipped_units) as units
    from {{ ref('fct_inventory_daily') }} as i
    left join master as m
        on m.brand = i.brand and m.kind = 'dc' and m.name = i.dc
    where {{ in_month_window(dbt.date_trunc('month', 'i.date_day')) }}
    {% if is_incremental() %}
       or not exists (select 1 from built as b
                      where b.brand = i.brand
                        and b.month_start = cast({{ dbt.date_trunc('month', 'i.date_day') }} as date))
    {% endif %}
    group by 1, 2, 3, 4
),
unit_revenue as (
    select
        brand,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        sku_id,
        sum(gmv)   as revenue,
        sum(units) as units
    from {{ ref('fct_sales_daily') }}
    where store_type = 'self'
    group by 1, 2, 3
),
self_op as (
    select
        s.brand, s.month_start, 'self' as store_type, s.region,
        sum(s.units) as units,
        sum(case when r.units is null or r.units = 0 then 0
                 else round(cast(s.units as decimal(38, 6)) * r.revenue / r.units, 2) end) as gmv
    from shipments as s
    left join unit_revenue as r
        on s.brand = r.brand and s.month_start = r.month_start and s.sku_id = r.sku_id
    group by 1, 2, 3, 4
),
unioned as (
    select brand, month_start, store_type, region, units, gmv, net_sales, orders, buyers, is_estimate from pop
    union all
    select brand, month_start, store_type, region, units, gmv, gmv as net_sales, null, null, true from self_op
)
select
    cast({{ format_month('u.month_start') }} as {{ type_varchar() }}) as month,
    cast(u.month_start as date)                          as month_start,
    cast(u.brand as {{ type_varchar() }})                             as brand,
    cast(u.store_type as {{ type_varchar() }})                        as store_type,
    cast(u.region as {{ type_varchar() }})                            as region,
    cast(coalesce(u.units, 0) as bigint)                 as units,
    cast(u.gmv as decimal(18,2))                         as gmv,
    cast(u.net_sales as decimal(18,2))                   as net_sales,
    cast(u.orders as bigint)                             as orders,
    cast(u.buyers as bigint)                             as buyers,
    cast(u.is_estimate as boolean)                       as is_estimate,
    cast(coalesce(v.master_version, 'none') as {{ type_varchar() }})  as region_master_version
from unioned as u
left join versions as v
    on u.brand = v.brand
