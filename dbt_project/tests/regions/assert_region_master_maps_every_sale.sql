-- sources.md, ref_regions: a province or 配送中心 the newest region master does not map goes to
-- 未分配 with a warning. One row per brand, month, store with 未分配 sales (the mart keeps them, so
-- the regions still add up; the warning asks sales operations to complete the master).
{{ config(severity='warn') }}
select brand, month, store_type, units, gmv, region_master_version
from {{ ref('fct_region_sales_monthly') }}
where region = '未分配'
  and {{ test_month_window('month_start') }}
