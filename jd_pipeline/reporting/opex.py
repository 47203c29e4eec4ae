"""OPEX reports vs budget and the current plan: the month, the quarter to date and the year to date.

A month whose ledger has not arrived has no OPEX actual yet: it shows as pending (待总账), never as
0, and the to-date comparison (差异, 预算使用率) covers only the months whose ledger has arrived.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from jd_pipeline.periods import month_bounds, quarter_label, quarter_months
from jd_pipeline.reporting import charts
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.formatting import PENDING
from jd_pipeline.reporting.model import Chart, Format, KeyNumber, Report, Section, Table
from jd_pipeline.reporting.periods import ESTIMATE_BANNER, ledger_months
from jd_pipeline.reporting.queries import brand_name, df, ratio, store_label

MONEY = ("actual", "budget", "plan", "variance", "variance_vs_plan", "budget_full", "plan_full")
SCOPES = {"month": "月度", "quarter": "季度", "year": "年度"}
MODEL = "fct_opex_monthly"


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


def _detail(
    conn: duckdb.DuckDBPyConnection, brand: str, months: list[str], closed: list[str], full: list[str]
) -> pd.DataFrame:
    """Per cost centre × cost type: actual = Σ of the months with ledger; budget / plan = Σ of the
    months to date; variance = actual − budget (and plan) of the same ledger months; *_full = the
    whole period's budget / plan."""
    return df(
        conn,
        """
        with todate as (
            select cost_center, cost_type,
                   sum(actual) filter (where month in (select unnest($closed))) as actual,
                   sum(budget) as budget, sum(plan) as plan,
                   sum(budget) filter (where month in (select unnest($closed))) as budget_closed,
                   sum(plan) filter (where month in (select unnest($closed))) as plan_closed
            from marts.fct_opex_monthly where brand = $brand and month in (select unnest($months))
            group by all
        ), whole as (
            select cost_center, cost_type, sum(budget) as budget_full, sum(plan) as plan_full
            from marts.fct_opex_monthly where brand = $brand and month in (select unnest($full))
            group by all
        )
        select t.cost_center, t.cost_type, c.cost_type_name_cn as cost_type_name,
               t.actual, t.budget, t.plan,
               t.actual - t.budget_closed as variance, t.actual - t.plan_closed as variance_vs_plan,
               t.budget_closed, w.budget_full, w.plan_full
        from todate t
        left join whole w using (cost_center, cost_type)
        left join marts.dim_cost_type c using (cost_type)
        order by t.cost_center, c.sort_order, t.cost_type""",
        {"brand": brand, "months": months, "closed": closed or ["-"], "full": full},
    )


def _trend(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> pd.DataFrame:
    return df(
        conn,
        """
        select month, sum(actual) as actual, sum(budget) as budget, sum(plan) as plan
        from marts.fct_opex_monthly where brand = ? and month between ? and ?
        group by month order by month""",
        [brand, f"{month[:4]}-01", month],
    )


def _pending(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for col in cols:
        out[col] = PENDING
    return out


def _month_list(months: list[str]) -> str:
    return "、".join(f"{int(m[5:7])}月" for m in months)


def build_opex(conn: duckdb.DuckDBPyConnection, brand: str, month: str, scope: str) -> Report:
    period = {"month": month, "quarter": quarter_label(month), "year": month[:4]}[scope]
    months = _months(month, scope)
    ledger = ledger_months(conn, brand, sorted(set(months) | set(_months(month, "year"))))
    closed = [m for m in months if ledger[m]]
    open_months = [m for m in months if not ledger[m]]
    detail = _detail(conn, brand, months, closed, _full_months(month, scope))
    detail["cost_type_name"] = detail["cost_type_name"].fillna(detail["cost_type"])
    sums = list(MONEY) + ["budget_closed"]
    by_type = detail.groupby("cost_type_name", dropna=False, sort=False)[sums].sum(min_count=1).reset_index()
    by_center = detail.groupby("cost_center", sort=False)[sums].sum(min_count=1).reset_index()
    totals = {c: float(detail[c].astype(float).sum()) for c in sums}
    any_ledger = bool(closed)

    series = {"预算": by_type["budget"], "计划": by_type["plan"]}
    if any_ledger:
        series = {"实际": by_type["actual"], **series}
    chart = charts.grouped_bars(
        by_type["cost_type_name"],
        series,
        f"OPEX {period}: {'实际 vs ' if any_ledger else ''}预算 vs 计划 (截至 {month})",
    )
    trend = _trend(conn, brand, month)
    trend_open = [not ledger.get(m, False) for m in trend["month"]]
    trend_actual = trend["actual"].astype(float).where(~pd.Series(trend_open, index=trend.index))
    trend_chart = charts.lines(
        [f"{m}{' (待总账)' if o else ''}" for m, o in zip(trend["month"], trend_open)],
        {"实际": trend_actual, "预算": trend["budget"], "计划": trend["plan"]},
        f"{month[:4]} 每月 OPEX (空心点 = 总账未到的月份, 实际待总账)"
        if any(trend_open)
        else f"{month[:4]} 每月 OPEX",
        estimated=trend_open,
        estimated_label="总账未到的月份",
    )
    trend_out = trend.copy()
    trend_out["actual"] = [PENDING if o else v for o, v in zip(trend_open, trend["actual"])]

    shown = [c for c in MONEY]
    tables_pending = ("actual", "variance", "variance_vs_plan") if not any_ledger else ()
    fmt: dict[str, Format] = {c: "money" for c in MONEY}
    by_type_out = _pending(by_type[["cost_type_name", *shown]], tables_pending)
    by_center_out = _pending(
        store_label(by_center[["cost_center", *shown]].copy(), "cost_center"), tables_pending
    )
    detail_out = _pending(
        store_label(detail[["cost_center", "cost_type_name", *shown]].copy(), "cost_center"), tables_pending
    )

    first, _ = month_bounds(months[0])
    _, last = month_bounds(month)
    dq, dq_keys = dq_section(conn, brand, first, last)
    actual_note = "" if not open_months or not any_ledger else f"只含 {_month_list(closed)} (已到总账)"
    keys = [
        KeyNumber(
            "actual",
            "实际 OPEX",
            totals["actual"] if any_ledger else None,
            pending=not any_ledger,
            note=actual_note,
        ),
        KeyNumber(
            "budget", "预算", totals["budget"], note=f"截至 {int(month[5:7])}月" if scope != "month" else ""
        ),
        KeyNumber("plan", "当前计划", totals["plan"]),
        KeyNumber(
            "variance",
            "差异 vs 预算",
            totals["variance"] if any_ledger else None,
            pending=not any_ledger,
            note="同期 (已到总账月份)" if open_months and any_ledger else "",
        ),
        KeyNumber(
            "variance_vs_plan",
            "差异 vs 计划",
            totals["variance_vs_plan"] if any_ledger else None,
            pending=not any_ledger,
        ),
        KeyNumber(
            "budget_used",
            "预算使用率",
            ratio(totals["actual"], totals["budget_closed"]) if any_ledger else None,
            "pct",
            pending=not any_ledger,
        ),
        *dq_keys,
    ]
    banners = []
    if open_months:
        banners.append(
            f"{ESTIMATE_BANNER} — {_month_list(open_months)}总账尚未到达: 实际 OPEX 待总账 (不是 0)"
            + (f"; 实际与差异只含 {_month_list(closed)}。" if closed else "。")
        )
    notes = [
        "差异 = 实际 − 预算 (同期); 预算 = 年度第一个版本, 计划 = 最新版本; 全期 = 整个"
        + {"month": "月", "quarter": "季度", "year": "年度"}[scope]
        + "。"
    ]
    to_date = "" if scope == "month" else f" (截至 {month})"
    return Report(
        kind=f"opex_{scope}",
        brand=brand,
        period=period,
        title=f"{brand_name(conn, brand)} 京东 OPEX {SCOPES[scope]}报告 {period}{to_date}",
        file_stem=f"opex_{scope}_{period}",
        subtitle="实际 vs 预算 (年度第一个版本) vs 当前计划 (最新版本)",
        key_numbers=keys,
        banners=banners,
        sections=[
            Section(
                "按费用类型",
                [Table("按费用类型", "按费用类型", by_type_out, fmt, model=MODEL)],
                [Chart("by type", chart)],
                notes,
            ),
            Section(
                "按成本中心",
                [
                    Table("按成本中心", "按成本中心 (POP店 / 自营 / 共享)", by_center_out, fmt, model=MODEL),
                    Table("明细", "成本中心 × 费用类型", detail_out, fmt, model=MODEL),
                ],
            ),
            Section(
                "月度趋势",
                [
                    Table(
                        "月度趋势",
                        "本年每月",
                        trend_out,
                        {"actual": "money", "budget": "money", "plan": "money"},
                        model=MODEL,
                    )
                ],
                [Chart("trend", trend_chart)],
            ),
            dq,
        ],
        sources=[
            "fct_opex_monthly",
            "fct_ecom_pnl_monthly (总账是否到达)",
            "dim_cost_type",
            "ops.dq_results",
            "ops.quarantine_rows",
        ],
    )
