-- The customer marts agree with the sales they are cut from: per brand and month, new + returning
-- gmv and net_sales equal fct_sales_daily's POP lines of buyers with a buyer_key (every dealt line
-- has one unless 下单帐号 was empty), and the cohorts' gmv in that month adds up to the same; the
-- new buyers of a month are its cohort's buyers at months_since 0.
-- meta.dagster.ref: Dagster shows this test as a check of the model it reconciles (it reads several models)
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_customer_monthly'}}}) }}
with monthly as (
    select brand, month_start, sum(gmv) as gmv, sum(net_sales) as net_sales,
           sum(case when segment = 'new' then buyers else 0 end) as new_buyers
    from {{ ref('fct_customer_monthly') }}
    where {{ test_month_window('month_start') }}
    group by 1, 2
),
lines as (
    select brand, cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
           sum(gmv) as gmv, sum(net_sales) as net_sales
    from {{ ref('int_pop_order_lines__allocated') }}
    where is_dealt and buyer_key is not null
      and {{ test_month_window(dbt.date_trunc('month', 'order_date')) }}
    group by 1, 2
),
cohorts as (
    select brand, activity_month_start as month_start, sum(gmv) as gmv,
           sum(case when months_since = 0 then cohort_buyers else 0 end) as new_buyers
    from {{ ref('fct_customer_cohort') }}
    where {{ test_month_window('activity_month_start') }}
    group by 1, 2
)
select coalesce(m.brand, l.brand) as brand, coalesce(m.month_start, l.month_start) as month_start,
       m.gmv as monthly_gmv, l.gmv as lines_gmv, c.gmv as cohort_gmv, m.new_buyers, c.new_buyers as cohort_new_buyers
from monthly as m
full outer join lines as l on m.brand = l.brand and m.month_start = l.month_start
left join cohorts as c on coalesce(m.brand, l.brand) = c.brand and coalesce(m.month_start, l.month_start) = c.month_start
where coalesce(m.gmv, 0) <> coalesce(l.gmv, 0)
   or coalesce(m.net_sales, 0) <> coalesce(l.net_sales, 0)
   or coalesce(c.gmv, 0) <> coalesce(m.gmv, 0)
   or coalesce(c.new_buyers, 0) <> coalesce(m.new_buyers, 0)
