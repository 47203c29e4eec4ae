-- Every POP order of the run's window (every order on a whole-table night): Σ allocated line net_sales = 应付金额 − 运费金额 of the order, to the cent.
{{ config(severity='error') }}
select brand, order_id,
       sum(net_sales) as allocated,
       max(payable_amount - coalesce(freight, 0)) as order_net
from {{ ref('int_pop_order_lines__allocated') }}
where {{ test_window('order_date') }}
group by brand, order_id
having sum(net_sales) <> max(payable_amount - coalesce(freight, 0))
