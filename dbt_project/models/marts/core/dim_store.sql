select
    cast(store_type as {{ type_varchar() }})     as store_type,
    cast(store_name_cn as {{ type_varchar() }})  as store_name_cn,
    cast(store_name as {{ type_varchar() }})     as store_name,
    cast(business_model as {{ type_varchar() }}) as business_model,
    cast(revenue_basis as {{ type_varchar() }})  as revenue_basis
from {{ ref('stores') }}
