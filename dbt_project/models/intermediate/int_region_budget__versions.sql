-- Regional budget version roles per brand and plan year (budget = first 发布日期, current, current
-- for the month): the same rules as the sales plan, macros/plan_version_roles.sql.
{{ plan_version_roles(ref('stg_fin_region_budget__region_lines')) }}
