-- Attainment is capped to 0 .. 150% and quarterly weights sum to 100% per person (±0.5 pp).
select 'attainment out of range' as problem, period, brand, staff_id, kpi
from {{ ref('fct_agency_kpi_scorecard') }}
where attainment < 0 or attainment > 1.5
union all
select 'weights do not sum to 1', period, brand, staff_id, null
from {{ ref('fct_agency_kpi_scorecard') }}
where period_type = 'quarter'
group by period, brand, staff_id
having abs(sum(weight) - 1) > 0.005
