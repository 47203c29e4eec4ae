{{ config(severity='warn') }}
-- tp_team_kpi weights sum to 100% per person and quarter (±0.5 pp); a warning: the agency's input.
select period, brand, staff_id, sum(weight) as weight_sum
from {{ ref('fct_agency_kpi_scorecard') }}
where period_type = 'quarter'
group by period, brand, staff_id
having abs(sum(weight) - 1) > 0.005
