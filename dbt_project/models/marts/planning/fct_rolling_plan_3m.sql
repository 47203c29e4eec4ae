{{ config(tags=['after_forecast']) }}
-- as_of_month × month (the next 3 forecast months) × brand × store_type × category:
-- the current sales plan beside the demand forecast.
-- The latest forecast of each as_of_month is used. forecast_gmv = Σ forecast_units × the SKU's average
-- realised price (Σ gmv ÷ Σ units of the 3 months before as_of_date, from fct_sales_daily; the product
-- master's 吊牌价 when it did not sell). plan_gmv = current plan version (int_sales_plan__versions).
-- gap = forecast_gmv − plan_gmv (negative = the forecast falls short of plan); gap_pct = gap ÷ plan_gmv.
{# The forecast table is written by a Python asset; before its first run the model is empty. #}
{% set forecast_src = source('forecast', 'fct_demand_forecast') -%}
{% set forecast_exists = execute and adapter.get_relation(
        database=forecast_src.database, schema=forecast_src.schema, identifier=forecast_src.identifier) is not none %}
with forecast as (
    {% if forecast_exists %}
    {% call qualify_rows("as_of_date = max(as_of_date) over (partition by brand, date_trunc('month', as_of_date))") -%}
    select as_of_date, brand, store_type, sku_id, month_start, forecast_units, lower, upper
    from {{ forecast_src }}
    {% endcall %}
    {% else %}
    select cast(null as date) as as_of_date, cast(null as {{ type_varchar() }}) as brand, cast(null as {{ type_varchar() }}) as store_type,
           cast(null as {{ type_varchar() }}) as sku_id, cast(null as date) as month_start, cast(null as double) as forecast_units,
           cast(null as double) as lower, cast(null as double) as upper
    where false
    {% endif %}
),
price as (
    select f.as_of_date, f.brand, f.store_type, f.sku_id,
           {{ safe_ratio('sum(s.gmv)', 'sum(s.units)') }} as avg_price
    from (select distinct as_of_date, brand, store_type, sku_id from forecast) as f
    join {{ ref('fct_sales_daily') }} as s
        on s.brand = f.brand and s.store_type = f.store_type and s.sku_id = f.sku_id
       and s.date_day > f.as_of_date - interval 3 month and s.date_day <= f.as_of_date
    group by all
    having sum(s.units) > 0
),
forecast_by_category as (
    select
        cast(date_trunc('month', f.as_of_date) as date) as as_of_month,
        f.as_of_date, f.month_start, f.brand, f.store_type,
        coalesce(d.category, '(unmapped)') as category,
        sum(f.forecast_units) as forecast_units,
        sum(f.forecast_units * coalesce(p.avg_price, d.list_price, 0)) as forecast_gmv,
        sum(f.lower * coalesce(p.avg_price, d.list_price, 0)) as forecast_gmv_lower,
        sum(f.upper * coalesce(p.avg_price, d.list_price, 0)) as forecast_gmv_upper
    from forecast as f
    left join price as p
        on p.as_of_date = f.as_of_date and p.brand = f.brand and p.store_type = f.store_type and p.sku_id = f.sku_id
    left join {{ ref('dim_sku') }} as d on d.brand = f.brand and d.sku_id = f.sku_id
    group by all
),
horizon as (
    select distinct as_of_month, as_of_date, month_start, brand from forecast_by_category
),
plan as (
    select h.as_of_month, h.as_of_date, h.month_start, h.brand, v.store_type, v.category,
           sum(v.target_gmv) as plan_gmv, sum(v.target_units) as plan_units
    from horizon as h
    join {{ ref('int_sales_plan__versions') }} as v
        on v.brand = h.brand and v.month_start = h.month_start and v.is_current
    group by all
),
keys as (
    select as_of_month, as_of_date, month_start, brand, store_type, category from plan
    union
    select as_of_month, as_of_date, month_start, brand, store_type, category from forecast_by_category
)
select
    cast({{ format_month('k.as_of_month') }} as {{ type_varchar() }})           as as_of_month,
    cast(k.as_of_date as date)                                   as as_of_date,
    cast({{ format_month('k.month_start') }} as {{ type_varchar() }})            as month,
    cast(k.month_start as date)                                  as month_start,
    cast(k.brand as {{ type_varchar() }})                                     as brand,
    cast(k.store_type as {{ type_varchar() }})                                as store_type,
    cast(k.category as {{ type_varchar() }})                                  as category,
    cast(p.plan_gmv as decimal(18,2))                            as plan_gmv,
    cast(round(coalesce(f.forecast_gmv, 0), 2) as decimal(18,2)) as forecast_gmv,
    cast(round(coalesce(f.forecast_gmv_lower, 0), 2) as decimal(18,2)) as forecast_gmv_lower,
    cast(round(coalesce(f.forecast_gmv_upper, 0), 2) as decimal(18,2)) as forecast_gmv_upper,
    cast(round(coalesce(f.forecast_gmv, 0), 2) - coalesce(p.plan_gmv, 0) as decimal(18,2)) as gap,
    {{ safe_ratio('round(coalesce(f.forecast_gmv, 0), 2) - p.plan_gmv', 'p.plan_gmv') }} as gap_pct,
    cast(p.plan_units as bigint)                                 as plan_units,
    cast(round(coalesce(f.forecast_units, 0), 1) as double)      as forecast_units
from keys as k
left join plan as p
    on p.as_of_date = k.as_of_date and p.month_start = k.month_start and p.brand = k.brand
   and p.store_type = k.store_type and p.category = k.category
left join forecast_by_category as f
    on f.as_of_date = k.as_of_date and f.month_start = k.month_start and f.brand = k.brand
   and f.store_type = k.store_type and f.category = k.category
