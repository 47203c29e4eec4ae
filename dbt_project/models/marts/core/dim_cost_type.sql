select
    cast(cost_type as {{ type_varchar() }})         as cost_type,
    cast(cost_type_name_cn as {{ type_varchar() }}) as cost_type_name_cn,
    cast(sort_order as integer)        as sort_order,
    cast(pnl_line as {{ type_varchar() }})          as pnl_line
from {{ ref('cost_types') }}
