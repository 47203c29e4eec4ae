select
    cast(store_type as varchar)     as store_type,
    cast(store_name_cn as varchar)  as store_name_cn,
    cast(store_name as varchar)     as store_name,
    cast(business_model as varchar) as business_model,
    cast(revenue_basis as varchar)  as revenue_basis
from {{ ref('stores') }}
