-- Every brand folder seen in any raw source; jd_brand_name = the 品牌 most often shown in its VC sales.
with brands as (
    {% set srcs = ['jd_pop_orders', 'jd_vc_sales', 'jd_vc_inventory', 'jd_vc_purchase_orders', 'jd_sz_sku',
                   'jd_sz_traffic', 'jd_sz_industry', 'jd_ads', 'tp_action_plan', 'tp_team_kpi',
                   'tp_campaign_plan', 'fin_sales_plan', 'fin_opex_budget', 'fin_opex_actuals', 'ref_products'] %}
    {% for s in srcs %}
    select distinct _brand as brand from {{ source('raw', s) }}
    {% if not loop.last %}union{% endif %}
    {% endfor %}
),
names as (
    select brand, brand_name,
           row_number() over (partition by brand order by count(*) desc, brand_name) as rn
    from {{ ref('stg_jd_vc_sales__sku_daily') }}
    where brand_name is not null
    group by brand, brand_name
)
select
    cast(b.brand as varchar)      as brand,
    cast(n.brand_name as varchar) as jd_brand_name
from brands as b
left join names as n on b.brand = n.brand and n.rn = 1
