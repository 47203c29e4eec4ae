-- OPEX budget version roles per brand and year (budget = first version, current = latest):
-- see macros/plan_version_roles.sql.
{{ plan_version_roles(ref('stg_fin_opex_budget__budget_lines')) }}
