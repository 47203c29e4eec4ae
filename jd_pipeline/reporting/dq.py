"""The data-quality section every report ends with (ops.dq_results, ops.quarantine_rows)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from jd_pipeline.reporting.model import KeyNumber, Section, Table


def dq_section(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> tuple[Section, list[KeyNumber]]:
    """Checks passed / warned / failed and quarantined rows for the brand over [start, end]."""
    from jd_pipeline.quality.gate import dq_summary
    from jd_pipeline.quality.windows import Window

    window = Window(start, end + timedelta(days=1), f"{start}..{end}")
    summary = dq_summary(conn, brand, window)
    overview = pd.DataFrame(
        [("通过 passed", summary.passed), ("警告 warned", summary.warned), ("失败 failed", summary.failed),
         ("隔离行 quarantined rows", summary.quarantined_rows)],
        columns=["项目", "数量"],
    )
    issues = pd.DataFrame(
        [(r["check_name"], r["asset"], r["outcome"], r.get("observed_value")) for r in
         summary.failed_checks + summary.warned_checks],
        columns=["检查 check", "资产 asset", "结果", "观测值"],
    )
    quarantine = pd.DataFrame(list(summary.quarantined_by_reason.items()), columns=["原因 reason", "行数"])
    section = Section(
        title="数据质量 Data quality",
        tables=[
            Table("DQ概览", "检查结果概览", overview, {"数量": "int"}),
            Table("DQ问题", "警告与失败的检查", issues),
            Table("DQ隔离", "隔离行按原因", quarantine, {"行数": "int"}),
        ],
        notes=[f"状态: {summary.status}. 区间 {start} – {end}; 每项检查取覆盖该区间的最新结果 (ops.dq_results)。"],
    )
    keys = [
        KeyNumber("dq_failed_checks", "失败检查", float(summary.failed), "int"),
        KeyNumber("dq_quarantined_rows", "隔离行", float(summary.quarantined_rows), "int"),
    ]
    return section, keys
