-- The loaded POP order history per brand: the first and last order date of any loaded line (dealt
-- or not: an export of a day with only cancelled orders is still history), and the first whole
-- month of it. history_months of month M = whole months from first_whole_month_start to M.
select
    brand,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    case
        when min(order_date) = cast({{ dbt.date_trunc('month', 'min(order_date)') }} as date)
            then cast(min(order_date) as date)
        else cast({{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'min(order_date)')) }} as date)
    end             as first_whole_month_start
from {{ ref('int_pop_order_lines__allocated') }}
group by 1
