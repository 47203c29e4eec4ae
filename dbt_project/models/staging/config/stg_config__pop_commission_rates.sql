-- POP commission rate card per brand and 品类 (brands.yaml); category '*' is the brand's default.
select
    cast(brand as {{ type_varchar() }})                  as brand,
    cast(category as {{ type_varchar() }})               as category,
    cast(commission_rate as decimal(6,4))   as commission_rate
from {{ source('config', 'pop_commission_rates') }}
