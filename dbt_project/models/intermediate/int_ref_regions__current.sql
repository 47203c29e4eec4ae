-- The newest delivery of the region master per brand replaces the earlier ones entirely.
-- master_version (= the delivery date) is stamped on fct_region_sales_monthly rows, so a new
-- master makes the next run rebuild every month of the brand (see that model).
with versions as (
    select * from {{ ref('stg_ref_regions__region_versions') }}
),
newest as (
    select brand, max(delivered_on) as delivered_on from versions group by brand
)
select
    v.brand,
    v.kind,
    v.name,
    v.region,
    v.delivered_on,
    cast(v.delivered_on as {{ type_varchar() }}) as master_version
from versions as v
join newest as n on v.brand = n.brand and v.delivered_on = n.delivered_on
where v.kind is not null
