select
    cast(cost_type as varchar)         as cost_type,
    cast(cost_type_name_cn as varchar) as cost_type_name_cn,
    cast(sort_order as integer)        as sort_order,
    cast(pnl_line as varchar)          as pnl_line
from {{ ref('cost_types') }}
