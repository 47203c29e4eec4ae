"""Rolling three-month plan report (滚动3个月计划): the plan beside the demand forecast for the next 3
months, last month as forecast vs plan vs actual, backtest accuracy by category and the weak series."""

from __future__ import annotations

import duckdb

from jd_pipeline.periods import month_bounds
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.forecast import (
    accuracy_section,
    forecast_vs_actual_section,
    latest_as_of,
    rolling_plan_section,
)
from jd_pipeline.reporting.model import KeyNumber, Report
from jd_pipeline.reporting.queries import brand_name, scalar


def build_rolling_plan(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> Report:
    """Report of the forecast made at the end of `month` (or the latest one before it)."""
    start, end = month_bounds(month)
    as_of = latest_as_of(conn, brand, end)
    dq, dq_keys = dq_section(conn, brand, start, end)
    keys: list[KeyNumber] = []
    if as_of is not None:
        args = [brand, as_of]
        keys = [
            KeyNumber(
                "plan_gmv_3m",
                "未来3个月计划 GMV",
                scalar(
                    conn,
                    "select sum(plan_gmv) from marts.fct_rolling_plan_3m where brand = ? and as_of_date = ?",
                    args,
                ),
            ),
            KeyNumber(
                "forecast_gmv_3m",
                "未来3个月预测 GMV",
                scalar(
                    conn,
                    "select sum(forecast_gmv) from "
                    "marts.fct_rolling_plan_3m where brand = ? and as_of_date = ?",
                    args,
                ),
            ),
            KeyNumber(
                "backtest_wape",
                "回测 WAPE",
                scalar(
                    conn,
                    "select max(portfolio_backtest_wape) from "
                    "marts.fct_demand_forecast where brand = ? and as_of_date = ?",
                    args,
                ),
                "pct",
            ),
            KeyNumber(
                "baseline_wape",
                "基准 WAPE",
                scalar(
                    conn,
                    "select max(portfolio_baseline_wape) from "
                    "marts.fct_demand_forecast where brand = ? and as_of_date = ?",
                    args,
                ),
                "pct",
            ),
        ]
    return Report(
        kind="rolling_plan",
        brand=brand,
        period=month,
        title=f"{brand_name(conn, brand)} 滚动3个月计划 {month}",
        file_stem=f"rolling_plan_{month}",
        subtitle=f"预测于 {as_of or '—'} · 与 BI 同口径",
        key_numbers=[*keys, *dq_keys],
        sections=[
            rolling_plan_section(conn, brand, end),
            forecast_vs_actual_section(conn, brand, month),
            accuracy_section(conn, brand, end),
            dq,
        ],
        sources=[
            "fct_rolling_plan_3m",
            "fct_demand_forecast",
            "fct_plan_vs_actual_monthly",
            "dim_sku",
            "ops.dq_results",
            "ops.quarantine_rows",
        ],
    )
