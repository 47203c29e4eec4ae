select
    cast(province as varchar)       as province,
    cast(province_short as varchar) as province_short,
    cast(region as varchar)         as region
from {{ ref('province_region') }}
union all
select '未知', '未知', '未知'
