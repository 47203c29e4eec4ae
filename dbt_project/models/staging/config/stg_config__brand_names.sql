-- The configured JD brand name(s) of each brand (brands.yaml), as 京东商智 shows them in 品牌榜.
select
    cast(brand as {{ type_varchar() }})          as brand,
    cast(jd_brand_name as {{ type_varchar() }})  as jd_brand_name,
    cast(name_rank as integer)      as name_rank
from {{ source('config', 'brand_names') }}
