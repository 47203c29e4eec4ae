{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_date_window('date_day') }}"
) }}
{{- spark_incremental_config('date_day') }}
-- End-of-day stock per SKU and RDC; the 全国 rows are excluded (checked against the RDC sums in tests).
select
    cast(date_day as date)              as date_day,
    cast(brand as {{ type_varchar() }})              as brand,
    cast(sku_id as {{ type_varchar() }})             as sku_id,
    cast(dc as {{ type_varchar() }})                 as dc,
    cast(sum(on_hand) as bigint)        as on_hand,
    cast(sum(available) as bigint)      as available,
    cast(sum(inbound_open) as bigint)   as inbound_open,
    cast(sum(unsellable) as bigint)     as unsellable,
    cast(sum(shipped_units) as bigint)  as shipped_units
from {{ ref('stg_jd_vc_inventory__sku_dc_daily') }}
where not is_national_total
  and {{ in_date_window('date_day') }}
group by 1, 2, 3, 4
