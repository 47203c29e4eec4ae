-- Sell-in from the newest PO state: 实收数量 × 采购价, dated on 完成时间 (cancelled lines and lines without
-- a completion time or received units excluded).
select
    brand,
    store_type,
    cast(completed_ts as date)  as date_day,
    po_id,
    sku_id,
    dc,
    po_status,
    export_date,
    qty_received                as units_received,
    unit_cost_to_jd,
    {{ money('qty_received * unit_cost_to_jd') }} as sell_in_amount
from {{ ref('int_vc_purchase_orders__latest') }}
where completed_ts is not null
  and coalesce(po_status, '') <> '已取消'
  and coalesce(qty_received, 0) <> 0
