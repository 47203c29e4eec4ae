-- Hierarchical coherence of the demand forecast: the category forecast fct_rolling_plan_3m shows
-- (forecast_units, rounded to 0.1) equals the sum of its SKUs' forecast_units in
-- marts.fct_demand_forecast (the as_of_date the rolling plan used), store by store.
-- meta.dagster.asset_key: Dagster shows this test as a check of the mart it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'asset_key': ['marts', 'fct_rolling_plan_3m']}}) }}
-- The refs below sit inside a condition that is false while dbt parses (no forecast read yet): declared
-- here so the parser records them (dbt-spark refuses to run the test otherwise).
-- depends_on: {{ ref('dim_sku') }}, {{ ref('fct_rolling_plan_3m') }}
{% set forecast_src = source('forecast', 'fct_demand_forecast') -%}
{% set forecast_exists = execute and adapter.get_relation(
        database=forecast_src.database, schema=forecast_src.schema, identifier=forecast_src.identifier) is not none %}
{% if forecast_exists %}
with skus as (
    select f.as_of_date, f.month_start, f.brand, f.store_type,
           coalesce(d.category, '(unmapped)') as category, sum(f.forecast_units) as sku_units
    from {{ forecast_src }} as f
    left join {{ ref('dim_sku') }} as d on d.brand = f.brand and d.sku_id = f.sku_id
    group by all
)
select r.as_of_date, r.month, r.brand, r.store_type, r.category, r.forecast_units, s.sku_units
from {{ ref('fct_rolling_plan_3m') }} as r
join skus as s
    on s.as_of_date = r.as_of_date and s.month_start = r.month_start and s.brand = r.brand
   and s.store_type = r.store_type and s.category = r.category
where abs(r.forecast_units - s.sku_units) > 0.051
{% else %}
select 1 as no_forecast_yet where false
{% endif %}
