-- Every exported state of a PO line (one per export day); newest state picked in int_vc_purchase_orders__latest.
select
    _load_id                  as load_id,
    _brand                    as brand,
    'self'                    as store_type,
    cast(_period as date)     as export_date,
    _row_number               as row_number_in_file,
    po_id,
    created_ts,
    sku_id,
    sku_name,
    dc,
    qty_ordered,
    qty_confirmed,
    qty_received,
    unit_cost_to_jd,
    po_amount,
    po_status,
    eta_date,
    completed_ts
from {{ source('raw', 'jd_vc_purchase_orders') }}
