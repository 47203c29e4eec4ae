-- Attainment is capped to 0 .. 150% (the scorecard's documented rule).
select period, brand, staff_id, kpi, attainment
from {{ ref('fct_agency_kpi_scorecard') }}
where attainment < 0 or attainment > 1.5
