"""Is a period closed? Which months have their ledger, up to which day the data reaches.

A month "has its ledger" when `fct_ecom_pnl_monthly` has a non-estimate row for the brand and month
(the mart's own test of a ledger delivery: `is_estimate` = no ledger line for the brand and month).
A month without ledger is open: its OPEX actual does not exist yet (shown as pending, never 0) and
its P&L is the estimate of marts.md (ads from 京准通, POP commission by rate card, other lines 0).
"""

from __future__ import annotations

from datetime import date

import duckdb

from jd_pipeline.periods import month_bounds
from jd_pipeline.reporting.formatting import cn_day
from jd_pipeline.warehouse import fetch_value, table_exists

ESTIMATE_BANNER = "总账未到: 以下为估算"


def ledger_months(conn: duckdb.DuckDBPyConnection, brand: str, months: list[str]) -> dict[str, bool]:
    """month → whether its ledger has arrived (False for a month the mart has no row of)."""
    if not months or not table_exists(conn, "marts", "fct_ecom_pnl_monthly"):
        return {m: False for m in months}
    rows = conn.execute(
        "select month, bool_or(not is_estimate) from marts.fct_ecom_pnl_monthly "
        "where brand = ? and month in (select unnest(?)) group by month",
        [brand, months],
    ).fetchall()
    found = {m: bool(v) for m, v in rows}
    return {m: found.get(m, False) for m in months}


def data_through(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> date | None:
    """The last day in [start, end] with sales data for the brand (None: none)."""
    value = fetch_value(
        conn,
        "select max(date_day) from marts.fct_sales_daily where brand = ? and date_day between ? and ?",
        [brand, start, end],
    )
    return value


def month_to_date_note(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> tuple[str, bool]:
    """('数据截至 6月30日', complete?) for a month's figures."""
    start, end = month_bounds(month)
    last = data_through(conn, brand, start, end)
    if last is None:
        return "本月暂无销售数据", False
    return f"数据截至 {cn_day(last)}", last >= end


def open_month_banner(month: str) -> str:
    return f"{ESTIMATE_BANNER} — {int(month[5:7])}月总账尚未到达: 费用为估算, OPEX 实际待总账。"
