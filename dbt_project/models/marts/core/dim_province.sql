select
    cast(province as {{ type_varchar() }})       as province,
    cast(province_short as {{ type_varchar() }}) as province_short,
    cast(region as {{ type_varchar() }})         as region
from {{ ref('province_region') }}
union all
select '未知', '未知', '未知'
