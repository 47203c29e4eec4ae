{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_month_window('month_start') }}"
) }}
-- 商智 品牌榜: deal_index_share = the brand's 成交金额指数 ÷ Σ 成交金额指数 of the listed brands of that
-- month, category and report (an index share, not a market share: only the listed brands are known).
with ranks as (
    select
        month, month_start, brand, cat_l3, brand_name,
        min(rank) as rank,
        sum(deal_index) as deal_index, sum(visitor_index) as visitor_index, sum(search_index) as search_index,
        min(deal_amount_low) as deal_amount_low, max(deal_amount_high) as deal_amount_high
    from {{ ref('stg_jd_sz_industry__brand_ranks') }}
    where {{ in_month_window('month_start') }}
    group by 1, 2, 3, 4, 5
)
select
    cast(r.month as varchar)                    as month,
    cast(r.month_start as date)                 as month_start,
    cast(r.brand as varchar)                    as brand,
    cast(r.cat_l3 as varchar)                   as cat_l3,
    cast(r.brand_name as varchar)               as brand_name,
    cast(r.rank as bigint)                      as rank,
    cast(r.deal_index as bigint)                as deal_index,
    cast(r.visitor_index as bigint)             as visitor_index,
    cast(r.search_index as bigint)              as search_index,
    cast(r.deal_index as double precision)
        / nullif(cast(sum(r.deal_index) over (partition by r.month, r.brand, r.cat_l3) as double precision), 0)
                                                as deal_index_share,
    cast(r.deal_amount_low as decimal(18,2))    as deal_amount_low,
    cast(r.deal_amount_high as decimal(18,2))   as deal_amount_high,
    coalesce(r.brand_name = b.jd_brand_name, false) as is_own_brand
from ranks as r
left join {{ ref('dim_brand') }} as b on r.brand = b.brand
