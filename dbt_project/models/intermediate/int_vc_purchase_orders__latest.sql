-- Newest state of each PO line (brand × po_id × sku_id): the latest export date wins.
with states as (
    select
        *,
        row_number() over (
            partition by brand, po_id, sku_id
            order by export_date desc, row_number_in_file desc
        ) as state_rank
    from {{ ref('stg_jd_vc_purchase_orders__po_line_states') }}
)
select * from states where state_rank = 1
