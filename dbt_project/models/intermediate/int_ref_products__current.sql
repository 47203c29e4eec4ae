-- The newest delivery of the product master per brand replaces the earlier ones entirely.
with versions as (
    select * from {{ ref('stg_ref_products__product_versions') }}
),
newest as (
    select brand, max(delivered_on) as delivered_on from versions group by brand
)
select v.*
from versions as v
join newest as n on v.brand = n.brand and v.delivered_on = n.delivered_on
