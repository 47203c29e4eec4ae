-- marts.md, Regions: the regions of a store and month add up to the store's fct_sales_daily gmv (POP)
-- or its shipped units (self, Σ 昨日出库商品件数 of fct_inventory_daily). A difference means a line
-- or a shipment was dropped or counted twice by the region mapping.
-- meta.dagster.ref: Dagster shows this test as a check of the model it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_region_sales_monthly'}}}) }}
with regions as (
    select brand, month_start, store_type, sum(gmv) as gmv, sum(units) as units
    from {{ ref('fct_region_sales_monthly') }}
    where {{ test_month_window('month_start') }}
    group by 1, 2, 3
),
pop as (
    select brand, cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start, 'pop' as store_type,
           sum(gmv) as gmv, cast(null as bigint) as units
    from {{ ref('fct_sales_daily') }}
    where store_type = 'pop' and {{ test_month_window(dbt.date_trunc('month', 'date_day')) }}
    group by 1, 2, 3
),
self_op as (
    select brand, cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start, 'self' as store_type,
           cast(null as decimal(18,2)) as gmv, sum(shipped_units) as units
    from {{ ref('fct_inventory_daily') }}
    where {{ test_month_window(dbt.date_trunc('month', 'date_day')) }}
    group by 1, 2, 3
),
stores as (
    select * from pop
    union all
    select * from self_op
)
select coalesce(r.brand, s.brand) as brand, coalesce(r.month_start, s.month_start) as month_start,
       coalesce(r.store_type, s.store_type) as store_type,
       r.gmv as region_gmv, s.gmv as store_gmv, r.units as region_units, s.units as store_units
from regions as r
full outer join stores as s
    on r.brand = s.brand and r.month_start = s.month_start and r.store_type = s.store_type
where (coalesce(r.store_type, s.store_type) = 'pop' and coalesce(r.gmv, 0) <> coalesce(s.gmv, 0))
   or (coalesce(r.store_type, s.store_type) = 'self' and coalesce(r.units, 0) <> coalesce(s.units, 0))
