-- Sales plan version roles per brand and plan year (budget, current, current for the month):
-- see macros/plan_version_roles.sql. The marts use is_current_for_month.
{{ plan_version_roles(ref('stg_fin_sales_plan__plan_lines')) }}
