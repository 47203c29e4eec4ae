-- Per day, brand and SKU the RDC rows (fct_inventory_daily) add up to the 全国 national total.
-- The loader drops the 全国 rows like total rows and records them in ops.file_totals (one row per
-- numeric column, label `配送中心=全国 (SKU=<sku>)`); a 全国 row left in raw is read too. A SKU with RDC
-- rows and no 全国 total (or the reverse) fails: the file is incomplete.
-- meta.dagster.ref: Dagster shows this test as a check of the mart it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_inventory_daily'}}}) }}
{% set file_totals = adapter.get_relation(database=target.database, schema='ops', identifier='file_totals') %}
with rdc as (
    select date_day, brand, sku_id,
           sum(on_hand) as on_hand, sum(available) as available, sum(inbound_open) as inbound_open,
           sum(unsellable) as unsellable, sum(shipped_units) as shipped_units
    from {{ ref('fct_inventory_daily') }}
    where {{ test_window('date_day') }}
    group by 1, 2, 3
),
national_raw as (
    select date_day, brand, sku_id,
           sum(on_hand) as on_hand, sum(available) as available, sum(inbound_open) as inbound_open,
           sum(unsellable) as unsellable, sum(shipped_units) as shipped_units
    from {{ ref('stg_jd_vc_inventory__sku_dc_daily') }}
    where is_national_total and {{ test_window('date_day') }}
    group by 1, 2, 3
),
national_totals as (
    {% if file_totals is not none %}
    select
        cast(ft.period as date) as date_day,
        ft.brand,
        {{ dbt.split_part(dbt.split_part('total_label', "'SKU='", 2), "')'", 1) }} as sku_id,
        sum(case when column_name = 'on_hand' then total_value end)       as on_hand,
        sum(case when column_name = 'available' then total_value end)     as available,
        sum(case when column_name = 'inbound_open' then total_value end)  as inbound_open,
        sum(case when column_name = 'unsellable' then total_value end)    as unsellable,
        sum(case when column_name = 'shipped_units' then total_value end) as shipped_units
    from {{ file_totals }} as ft
    where ft.source = 'jd_vc_inventory'
      and ft.total_label like '配送中心=全国%'
      -- Only the live delivery's totals: a replaced delivery keeps its ops.file_totals rows (lineage)
      -- while its detail rows left raw. Qualified names: raw's column is `_load_id`, and an unqualified
      -- `load_id` inside the subquery would bind to ft and keep every delivery's totals.
      and ft.load_id in (select distinct r._load_id from {{ source('raw', 'jd_vc_inventory') }} as r)
    group by 1, 2, 3
    {% else %}
    select * from national_raw where 1 = 0
    {% endif %}
),
national as (
    select * from national_raw
    union all
    select * from national_totals where {{ test_window('date_day') }}
)
select coalesce(r.date_day, n.date_day) as date_day, coalesce(r.brand, n.brand) as brand,
       coalesce(r.sku_id, n.sku_id) as sku_id,
       r.on_hand as rdc_on_hand, n.on_hand as national_on_hand
from rdc as r
full outer join national as n
    on r.date_day = n.date_day and r.brand = n.brand and r.sku_id = n.sku_id
where r.sku_id is null or n.sku_id is null
   or coalesce(r.on_hand, 0) <> coalesce(n.on_hand, 0)
   or coalesce(r.available, 0) <> coalesce(n.available, 0)
   or coalesce(r.inbound_open, 0) <> coalesce(n.inbound_open, 0)
   or coalesce(r.unsellable, 0) <> coalesce(n.unsellable, 0)
   or coalesce(r.shipped_units, 0) <> coalesce(n.shipped_units, 0)
