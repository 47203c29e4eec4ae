{{ config(materialized='table') }}
-- Sell-in to JD (self-operated) from the newest PO state: 实收数量 × 采购价 on the 完成时间 day.
-- Rebuilt whole on every run (docs/marts_notes.md, "Nightly equals rebuild"): a later export of a PO
-- line can move it to another completion day, correct its 实收数量 or cancel it, and the superseded
-- day is not known from the newest state alone. The newest-state model it reads is rebuilt whole
-- anyway (int_vc_purchase_orders__latest), so this is one more aggregation of it.
select
    cast(date_day as date)                  as date_day,
    cast(brand as {{ type_varchar() }})                  as brand,
    cast(sku_id as {{ type_varchar() }})                 as sku_id,
    cast(sum(units_received) as bigint)     as units_received,
    cast(sum(sell_in_amount) as decimal(18,2)) as sell_in_amount,
    cast(count(*) as bigint)                as po_lines
from {{ ref('int_sell_in__lines') }}
group by 1, 2, 3
