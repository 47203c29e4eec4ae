{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_sell_in_window() }}"
) }}
-- Sell-in to JD (self-operated) from the newest PO state: 实收数量 × 采购价 on the 完成时间 day.
-- Window: the days in [min_date, max_date] plus the completion days of PO lines exported in it
-- (a PO export can complete a line dated earlier).
with lines as (
    select * from {{ ref('int_sell_in__lines') }}
),
touched as (
    select distinct date_day from lines where {{ in_date_window('export_date') }}
)
select
    cast(date_day as date)                  as date_day,
    cast(brand as varchar)                  as brand,
    cast(sku_id as varchar)                 as sku_id,
    cast(sum(units_received) as bigint)     as units_received,
    cast(sum(sell_in_amount) as decimal(18,2)) as sell_in_amount,
    cast(count(*) as bigint)                as po_lines
from lines
where {{ in_date_window('date_day') }}
   or date_day in (select date_day from touched)
group by 1, 2, 3
