-- For every brand-month with a ledger, the P&L cost lines + allocated_shared of both stores add up to
-- the month's ledger total (JD-POP + JD-自营 + JD-共享): nothing lost or double counted.
-- meta.dagster.ref: Dagster shows this test as a check of the mart it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_ecom_pnl_monthly'}}}) }}
with ledger as (
    select brand, month_start, sum(amount) as ledger_total
    from {{ ref('stg_fin_opex_actuals__ledger_lines') }}
    where {{ in_month_window('month_start') }}
    group by 1, 2
),
pnl as (
    select brand, month_start,
           sum(commission + platform_fee + ads + agency_fee + logistics + campaign + samples + staff + other
               + allocated_shared) as pnl_total
    from {{ ref('fct_ecom_pnl_monthly') }}
    where not is_estimate and {{ in_month_window('month_start') }}
    group by 1, 2
)
select l.brand, l.month_start, l.ledger_total, p.pnl_total
from ledger as l
left join pnl as p on l.brand = p.brand and l.month_start = p.month_start
where p.pnl_total is null or p.pnl_total <> l.ledger_total
