{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('date_day') }}"
) }}
{{- spark_incremental_config('date_day') }}
-- 商智 流量来源 detail rows (subtotals excluded); is_paid = 一级来源 付费流量; '' where a level is empty.
with agg as (
    select
        date_day, brand, store_type, source_l1, source_l2, source_l3,
        {{ dbt.bool_or("is_paid") }} as is_paid,
        sum(visitors) as visitors, sum(page_views) as page_views,
        sum(deal_buyers) as deal_buyers, sum(deal_amount) as deal_amount
    from {{ ref('stg_jd_sz_traffic__source_daily') }}
    where {{ in_date_window('date_day') }}
    group by 1, 2, 3, 4, 5, 6
)
select
    cast(date_day as date)              as date_day,
    cast(brand as {{ type_varchar() }})              as brand,
    cast(store_type as {{ type_varchar() }})         as store_type,
    cast(source_l1 as {{ type_varchar() }})          as source_l1,
    cast(source_l2 as {{ type_varchar() }})          as source_l2,
    cast(source_l3 as {{ type_varchar() }})          as source_l3,
    cast(is_paid as boolean)            as is_paid,
    cast(visitors as bigint)            as visitors,
    cast(page_views as bigint)          as page_views,
    cast(deal_buyers as bigint)         as deal_buyers,
    cast(deal_amount as decimal(18,2))  as deal_amount,
    {{ safe_ratio('deal_buyers', 'visitors') }} as deal_conversion
from agg
