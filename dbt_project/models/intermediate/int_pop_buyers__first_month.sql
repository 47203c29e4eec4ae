-- Each buyer's first month: the month of its first dealt POP line in the brand's whole loaded
-- history (marts.md, Customers). Rebuilt every run from the compact int_pop_buyer_months: it
-- depends on all history, and a delivery for any day can move a buyer's first month.
select
    brand,
    buyer_key,
    min(month_start)      as first_month_start,
    min(first_order_date) as first_order_date
from {{ ref('int_pop_buyer_months') }}
group by 1, 2
