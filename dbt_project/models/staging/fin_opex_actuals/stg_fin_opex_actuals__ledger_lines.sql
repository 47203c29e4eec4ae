-- GL lines; amount = debit − credit; account → cost type via seed account_cost_type (outside the chart → NULL, error test).
select
    g._load_id                 as load_id,
    g._brand                   as brand,
    g.voucher_id,
    g.line_no,
    g.voucher_date,
    g.period,
    {{ month_to_date('g.period') }} as month_start,
    g.cost_center              as cost_center_raw,
    cc.cost_center,
    g.account_code,
    g.account_name,
    a.cost_type,
    g.vendor,
    g.memo,
    g.debit,
    g.credit,
    cast(coalesce(g.debit, 0) - coalesce(g.credit, 0) as decimal(18,2)) as amount,
    g.currency
from {{ source('raw', 'fin_opex_actuals') }} as g
left join {{ ref('cost_center_map') }} as cc on g.cost_center = cc.cost_center_raw
left join {{ ref('account_cost_type') }} as a on g.account_code = a.account_code
