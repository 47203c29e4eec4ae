"""Reading `kpi.headline_daily`, the headline KPIs per brand and day.

The table is the dbt model `dbt_project/models/kpi/headline_daily.sql` (definitions of every column in
its headline_daily.yml), built after the data-quality gate. This module reads its newest rows and
shows them in the Dagster materialization metadata.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import dagster as dg
import duckdb

HEADLINE_TABLE = "kpi.headline_daily"

# The columns shown in the materialization metadata table, with their Dagster column kinds.
METADATA_COLUMNS = (
    ("brand", "string"),
    ("date_day", "string"),
    ("gmv", "float"),
    ("net_sales", "float"),
    ("mtd_achievement", "float"),
    ("qtd_achievement", "float"),
    ("ytd_achievement", "float"),
    ("ads_roi", "float"),
    ("conversion", "float"),
    ("opex_ratio_ytd", "float"),
)


def latest_headline(conn: duckdb.DuckDBPyConnection, end: date) -> list[dict[str, Any]]:
    """The newest row per brand on or before `end`."""
    cur = conn.execute(
        f"select * from {HEADLINE_TABLE} where date_day <= ? "
        "qualify row_number() over (partition by brand order by date_day desc) = 1 order by brand",
        [end],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _plain(value: str | float | bool | Decimal | date | None) -> str | int | float | bool | None:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _pct(value: float | Decimal | None) -> str:
    return "–" if value is None else f"{float(value):.1%}"


def _money(value: float | Decimal | None) -> str:
    return "–" if value is None else f"¥{float(value):,.0f}"


def headline_metadata(rows: list[dict[str, Any]]) -> dict[str, dg.MetadataValue]:
    """A table and a markdown summary of the newest day per brand."""
    table = dg.MetadataValue.table(
        records=[dg.TableRecord({name: _plain(r[name]) for name, _ in METADATA_COLUMNS}) for r in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in METADATA_COLUMNS]),
    )
    lines = [
        "| brand | day | GMV | net sales | MTD 达成 | QTD 达成 | YTD 达成 | ROI | 转化率 | OPEX率 YTD |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        roi = "–" if r["ads_roi"] is None else f"{r['ads_roi']:.2f}"
        lines.append(
            f"| {r['brand']} | {r['date_day']} | {_money(r['gmv'])} | {_money(r['net_sales'])} | "
            f"{_pct(r['mtd_achievement'])} | {_pct(r['qtd_achievement'])} | {_pct(r['ytd_achievement'])} | "
            f"{roi} | {_pct(r['conversion'])} | {_pct(r['opex_ratio_ytd'])} |"
        )
    return {"headline": table, "headline_markdown": dg.MetadataValue.md("\n".join(lines))}
