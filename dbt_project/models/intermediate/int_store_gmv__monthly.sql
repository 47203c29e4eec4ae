-- Month gmv per brand and store (POP = Σ dealt-line gmv, self-operated = 收入), from fct_sales_daily.
select
    brand,
    store_type,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    sum(gmv)       as gmv,
    sum(net_sales) as net_sales,
    sum(units)     as units
from {{ ref('fct_sales_daily') }}
group by 1, 2, 3
