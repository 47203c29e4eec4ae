-- Per day, brand and SKU the RDC rows (fct_inventory_daily) add up to the 全国 row of the extract.
-- A SKU with RDC rows and no 全国 row (or the reverse) fails too: the file is incomplete.
{{ config(severity='error') }}
with rdc as (
    select date_day, brand, sku_id,
           sum(on_hand) as on_hand, sum(available) as available, sum(inbound_open) as inbound_open,
           sum(unsellable) as unsellable, sum(shipped_units) as shipped_units
    from {{ ref('fct_inventory_daily') }}
    where {{ in_date_window('date_day') }}
    group by 1, 2, 3
),
national as (
    select date_day, brand, sku_id,
           sum(on_hand) as on_hand, sum(available) as available, sum(inbound_open) as inbound_open,
           sum(unsellable) as unsellable, sum(shipped_units) as shipped_units
    from {{ ref('stg_jd_vc_inventory__sku_dc_daily') }}
    where is_national_total and {{ in_date_window('date_day') }}
    group by 1, 2, 3
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
