"""OPEX reports vs budget and the current plan: the month, the quarter to date and the year to date."""

from __future__ import annotations

import duckdb

from jd_pipeline.reporting import charts
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.model import Chart, KeyNumber, Report, Section, Table
from jd_pipeline.reporting.queries import df, month_bounds, quarter_label, quarter_months, ratio, store_label

MONEY = ("actual", "budget", "plan", "variance", "variance_vs_plan", "budget_full", "plan_full")
SCOPES = {"month": "月度", "quarter": "季度", "year": "年度"}


def _months(month: str, scope: str) -> list[str]:
    if scope == "month":
        return [month]
    if scope == "quarter":
        return quarter_months(month)
    return [f"{month[:4]}-{m:02d}" for m in range(1, int(month[5:7]) + 1)]


def _full_months(month: str, scope: str) -> list[str]:
    if scope == "month":
        return [month]
    if scope == "quarter":
        q = (int(month[5:7]) - 1) // 3
        return [f"{month[:4]}-{m:02d}" for m in range(q * 3 + 1, q * 3 + 4)]
    return [f"{month[:4]}-{m:02d}" for m in range(1, 13)]


def _detail(conn: duckdb.DuckDBPyConnection, brand: str, month: str, scope: str):
    """Per cost centre × cost type. To-date actual and budget are the mart's MTD/QTD/YTD columns at `month`;
    plan to date = Σ plan of the months to date; *_full = the whole period's budget / plan."""
    actual_col, budget_col = {"month": ("mtd_actual", "mtd_budget"), "quarter": ("qtd_actual", "qtd_budget"),
                              "year": ("ytd_actual", "ytd_budget")}[scope]
    return df(conn, f"""
        with todate as (
            select cost_center, cost_type, {actual_col} as actual, {budget_col} as budget
            from marts.fct_opex_monthly where brand = $brand and month = $month
        ), sums as (
            select cost_center, cost_type,
                   sum(plan) filter (where month in (select unnest($months))) as plan,
                   sum(budget) as budget_full, sum(plan) as plan_full
            from marts.fct_opex_monthly where brand = $brand and month in (select unnest($full))
            group by all
        )
        select t.cost_center, t.cost_type, c.cost_type_name_cn as cost_type_name,
               t.actual, t.budget, s.plan,
               t.actual - t.budget as variance, t.actual - s.plan as variance_vs_plan,
               s.budget_full, s.plan_full
        from todate t
        left join sums s using (cost_center, cost_type)
        left join marts.dim_cost_type c using (cost_type)
        order by t.cost_center, c.sort_order, t.cost_type""",
        {"brand": brand, "month": month, "months": _months(month, scope), "full": _full_months(month, scope)})


def _trend(conn: duckdb.DuckDBPyConnection, brand: str, month: str):
    return df(conn, """
        select month, sum(actual) as actual, sum(budget) as budget, sum(plan) as plan
        from marts.fct_opex_monthly where brand = ? and month between ? and ?
        group by month order by month""", [brand, f"{month[:4]}-01", month])


def build_opex(conn: duckdb.DuckDBPyConnection, brand: str, month: str, scope: str) -> Report:
    period = {"month": month, "quarter": quarter_label(month), "year": month[:4]}[scope]
    detail = _detail(conn, brand, month, scope)
    by_type = detail.groupby(["cost_type", "cost_type_name"], dropna=False, sort=False)[list(MONEY)].sum(
        min_count=1).reset_index()
    by_center = detail.groupby("cost_center", sort=False)[list(MONEY)].sum(min_count=1).reset_index()
    totals = {c: float(detail[c].astype(float).sum()) for c in MONEY}
    chart = charts.grouped_bars(by_type["cost_type_name"].fillna(by_type["cost_type"]),
                                {"实际 actual": by_type["actual"], "预算 budget": by_type["budget"],
                                 "计划 plan": by_type["plan"]}, f"OPEX {period} 实际 vs 预算 vs 计划 (截至 {month})")
    trend = _trend(conn, brand, month)
    trend_chart = charts.lines(trend["month"], {"实际": trend["actual"], "预算": trend["budget"], "计划": trend["plan"]},
                               f"{month[:4]} 每月 OPEX")
    fmt = {c: "money" for c in MONEY}
    detail_out = store_label(detail.copy(), "cost_center")
    by_center = store_label(by_center, "cost_center")
    first, _ = month_bounds(_months(month, scope)[0])
    _, last = month_bounds(month)
    dq, dq_keys = dq_section(conn, brand, first, last)
    keys = [
        KeyNumber("actual", "实际 OPEX", totals["actual"]),
        KeyNumber("budget", "预算", totals["budget"]),
        KeyNumber("plan", "当前计划", totals["plan"]),
        KeyNumber("variance", "差异 vs 预算", totals["variance"]),
        KeyNumber("variance_vs_plan", "差异 vs 计划", totals["variance_vs_plan"]),
        KeyNumber("budget_used", "预算使用率", ratio(totals["actual"], totals["budget"]), "pct"),
        *dq_keys,
    ]
    to_date = "" if scope == "month" else f" (截至 {month})"
    return Report(
        kind=f"opex_{scope}", brand=brand, period=period,
        title=f"{brand} 京东 OPEX {SCOPES[scope]}报告 {period}{to_date}", file_stem=f"opex_{scope}_{period}",
        subtitle="实际 vs 预算 (年度第一个版本) vs 当前计划 (最新版本) · fct_opex_monthly",
        key_numbers=keys,
        sections=[
            Section("按费用类型", [Table("按费用类型", "按费用类型", by_type, fmt)], [Chart("by type", chart)]),
            Section("按成本中心", [Table("按成本中心", "按成本中心 (pop / self / shared)", by_center, fmt),
                               Table("明细", "成本中心 × 费用类型", detail_out, fmt)]),
            Section("月度趋势", [Table("月度趋势", "本年每月", trend, {"actual": "money", "budget": "money",
                                                                    "plan": "money"})], [Chart("trend", trend_chart)]),
            dq,
        ],
        sources=["fct_opex_monthly", "dim_cost_type", "ops.dq_results", "ops.quarantine_rows"],
    )
