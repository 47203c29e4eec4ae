-- Every configured brand (brands.yaml), plus any brand folder seen in raw (the run refuses an
-- unconfigured landing folder, so that is only data loaded before the configuration existed);
-- jd_brand_name = the brand's first configured JD brand name.
with brands as (
    select brand from {{ source('config', 'brands') }}
    {% set srcs = ['jd_pop_orders', 'jd_vc_sales', 'jd_vc_inventory', 'jd_vc_purchase_orders', 'jd_sz_sku',
                   'jd_sz_traffic', 'jd_sz_industry', 'jd_ads', 'tp_action_plan', 'tp_team_kpi',
                   'tp_campaign_plan', 'fin_sales_plan', 'fin_opex_budget', 'fin_opex_actuals', 'ref_products',
                   'fin_region_budget', 'ref_regions'] %}
    {% for s in srcs %}
    union
    select distinct _brand as brand from {{ source('raw', s) }}
    {% endfor %}
)
select
    cast(b.brand as {{ type_varchar() }})         as brand,
    cast(n.jd_brand_name as {{ type_varchar() }}) as jd_brand_name
from brands as b
left join {{ ref('stg_config__brand_names') }} as n on b.brand = n.brand and n.name_rank = 1
