"""Agency (TP) KPI scorecard report for a quarter or a year, from fct_agency_kpi_scorecard."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from jd_pipeline.periods import period_bounds
from jd_pipeline.reporting import charts
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.model import Chart, Format, KeyNumber, Report, Section, Table
from jd_pipeline.reporting.queries import brand_name, df, store_label
from jd_pipeline.warehouse import table_exists

MODEL = "fct_agency_kpi_scorecard"
# How a KPI's target and actual read (the mart keeps ratios as ratios, ROI as a multiple).
KPI_FORMATS: dict[str, Format] = {
    "GMV达成率": "pct",
    "广告ROI": "ratio",
    "成交转化率": "pct",
    "付费流量占比": "pct",
    "行动项按时完成率": "pct",
    "客服响应时长": "num",
}
SOURCE_LABELS = {"measured": "数仓计量", "self_reported": "自报"}


def scorecard_periods(conn: duckdb.DuckDBPyConnection, brand: str, periods: list[str]) -> list[str]:
    """The periods among `periods` that have scorecard rows for the brand (none before the mart exists)."""
    if not table_exists(conn, "marts", "fct_agency_kpi_scorecard"):
        return []
    rows = conn.execute(
        "select distinct period from marts.fct_agency_kpi_scorecard where brand = ? and period in (select unnest(?))",
        [brand, periods],
    ).fetchall()
    return sorted(r[0] for r in rows)


def _period_end(period: str) -> date:
    """'2026Q2' -> 2026-06-30, '2026' -> 2026-12-31."""
    return period_bounds("quarterly" if "Q" in period else "yearly", period)[1]


def build_agency_scorecard(conn: duckdb.DuckDBPyConnection, brand: str, period: str) -> Report:
    detail = df(
        conn,
        """
        select staff_id, staff_name, role, store_type, kpi, source, weight, target, actual, attainment,
               weighted_score, quarters_scored
        from marts.fct_agency_kpi_scorecard where brand = ? and period = ?
        order by staff_id, weight desc, kpi""",
        [brand, period],
    )
    staff = df(
        conn,
        """
        select staff_id, max(staff_name) as staff_name, max(role) as role, max(store_type) as store_type,
               max(staff_score) as staff_score, count(*) as kpis,
               count(*) filter (where source = 'self_reported') as self_reported_kpis
        from marts.fct_agency_kpi_scorecard where brand = ? and period = ?
        group by staff_id order by staff_score desc nulls last, staff_id""",
        [brand, period],
    )
    period_start = df(
        conn,
        "select min(period_start) as d from marts.fct_agency_kpi_scorecard where brand = ? and period = ?",
        [brand, period],
    )["d"].iloc[0]
    period_start = period_start.date() if hasattr(period_start, "date") else period_start
    end = _period_end(period)
    actions = df(
        conn,
        """
        select owner_id, count(*) as actions,
               count(*) filter (where status_code = 'done') as done,
               count(*) filter (where on_time) as on_time,
               count(*) filter (where on_time = false) as late_or_overdue,
               count(*) filter (where status_code = 'cancelled') as cancelled,
               max(overdue_days) as max_overdue_days
        from marts.fct_action_plan_status
        where brand = ? and is_action_latest and due_date between ? and ?
        group by owner_id order by owner_id""",
        [brand, period_start, end],
    )
    overdue = df(
        conn,
        """
        select action_id, owner_id, horizon, action, due_date, status, overdue_days, metric, target, current,
               progress_pct
        from marts.fct_action_plan_status
        where brand = ? and is_action_latest and on_time = false and due_date between ? and ?
        order by overdue_days desc""",
        [brand, period_start, end],
    )
    labels = [f"{n or i}" for i, n in zip(staff["staff_id"], staff["staff_name"])]
    chart = charts.percent_hbars(
        labels, staff["staff_score"], f"{period} 综合得分 (虚线 100% = 达标, 单项上限 150%)"
    )
    avg = staff["staff_score"].astype(float).mean()
    dq, dq_keys = dq_section(conn, brand, period_start, end)
    keys = [
        KeyNumber("staff", "考核人数", float(len(staff)), "int"),
        KeyNumber("average_score", "平均得分", None if pd.isna(avg) else float(avg), "pct"),
    ]
    keys += [
        KeyNumber(f"score_{r.staff_id}", f"{r.staff_name or r.staff_id}", r.staff_score, "pct")
        for r in staff.itertuples()
    ]
    yearly = "年度 = 本年已考核季度的平均 (权重、目标、达成率与加权得分取平均); 实际值按全年口径计量。"
    kpi_formats: list[Format] = [KPI_FORMATS.get(k, "num") for k in detail["kpi"]]
    detail["source"] = detail["source"].map(lambda s: SOURCE_LABELS.get(s, s))
    return Report(
        kind="agency_scorecard",
        brand=brand,
        period=period,
        title=f"{brand_name(conn, brand)} 代运营团队 KPI 考核 {period}",
        file_stem=f"agency_scorecard_{period}",
        subtitle=f"{period_start} 至 {end} · 除客服响应时长 (自报) 外, 所有 KPI 由数仓计量 · 达成率上限 150%",
        key_numbers=keys + dq_keys,
        sections=[
            Section(
                "综合得分",
                [
                    Table(
                        "综合得分",
                        "每人综合得分 (Σ 权重 × 达成率)",
                        store_label(staff),
                        {"staff_score": "pct", "kpis": "int", "self_reported_kpis": "int"},
                        model=MODEL,
                    )
                ],
                [Chart("scores", chart)],
                [yearly] if "Q" not in period else [],
            ),
            Section(
                "KPI 明细",
                [
                    Table(
                        "KPI明细",
                        "KPI 明细 (目标与实际按 KPI 的单位: 比率为 %, ROI 为倍数)",
                        store_label(detail),
                        {
                            "weight": "pct",
                            "attainment": "pct",
                            "weighted_score": "pct",
                            "quarters_scored": "int",
                        },
                        model=MODEL,
                        cell_formats={"target": kpi_formats, "actual": kpi_formats},
                    )
                ],
            ),
            Section(
                "30-60-90 行动计划",
                [
                    Table(
                        "行动计划",
                        "本期到期的行动项 (各行动项最新状态)",
                        actions,
                        {
                            "actions": "int",
                            "done": "int",
                            "on_time": "int",
                            "late_or_overdue": "int",
                            "cancelled": "int",
                            "max_overdue_days": "int",
                        },
                        model="fct_action_plan_status",
                        labels={"on_time": "按时完成"},
                    ),
                    Table(
                        "逾期行动项",
                        "逾期或延迟完成",
                        overdue,
                        {
                            "due_date": "date",
                            "overdue_days": "int",
                            "target": "num",
                            "current": "num",
                            "progress_pct": "pct",
                        },
                        model="fct_action_plan_status",
                    ),
                ],
            ),
            dq,
        ],
        sources=["fct_agency_kpi_scorecard", "fct_action_plan_status", "ops.dq_results"],
    )
