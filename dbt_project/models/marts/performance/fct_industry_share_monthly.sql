{{ config(materialized='table') }}
-- Rebuilt whole on every run (docs/marts_notes.md, "Nightly equals rebuild"): is_own_brand follows the
-- brand configuration (a configured JD brand name re-files every month), and a month's 品牌榜 may be
-- re-delivered after the month. A few hundred rows per brand and month.
-- 商智 品牌榜: deal_index_share = the brand's 成交金额指数 ÷ Σ 成交金额指数 of the listed brands of that
-- month, category and report (an index share, not a market share: only the listed brands are known).
with ranks as (
    select
        month, month_start, brand, cat_l3, brand_name,
        min(rank) as rank,
        sum(deal_index) as deal_index, sum(visitor_index) as visitor_index, sum(search_index) as search_index,
        min(deal_amount_low) as deal_amount_low, max(deal_amount_high) as deal_amount_high
    from {{ ref('stg_jd_sz_industry__brand_ranks') }}
    group by 1, 2, 3, 4, 5
)
select
    cast(r.month as {{ type_varchar() }})                    as month,
    cast(r.month_start as date)                 as month_start,
    cast(r.brand as {{ type_varchar() }})                    as brand,
    cast(r.cat_l3 as {{ type_varchar() }})                   as cat_l3,
    cast(r.brand_name as {{ type_varchar() }})               as brand_name,
    cast(r.rank as bigint)                      as rank,
    cast(r.deal_index as bigint)                as deal_index,
    cast(r.visitor_index as bigint)             as visitor_index,
    cast(r.search_index as bigint)              as search_index,
    cast(r.deal_index as {{ type_double() }})
        / nullif(cast(sum(r.deal_index) over (partition by r.month, r.brand, r.cat_l3) as {{ type_double() }}), 0)
                                                as deal_index_share,
    cast(r.deal_amount_low as decimal(18,2))    as deal_amount_low,
    cast(r.deal_amount_high as decimal(18,2))   as deal_amount_high,
    n.brand is not null                         as is_own_brand
from ranks as r
left join (select distinct brand, jd_brand_name from {{ ref('stg_config__brand_names') }}) as n
    on r.brand = n.brand and r.brand_name = n.jd_brand_name
