"""Small helpers to read mart slices into pandas (the aggregation itself stays in SQL)."""

from __future__ import annotations

import duckdb
import pandas as pd

from jd_pipeline.reporting.formatting import to_float
from jd_pipeline.warehouse import table_exists

STORE_LABELS = {"pop": "POP店", "self": "自营", "all": "全部", "shared": "共享"}


def df(conn: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    return conn.execute(sql, params or []).df()


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> float | None:
    row = conn.execute(sql, params or []).fetchone()
    if row is None or row[0] is None:
        return None
    return float(row[0])


def ratio(num: object, den: object) -> float | None:
    if num is None or den is None:
        return None
    d = to_float(den)
    return None if d == 0 else to_float(num) / d


def store_label(frame: pd.DataFrame, col: str = "store_type") -> pd.DataFrame:
    if col in frame.columns:
        frame[col] = frame[col].map(lambda s: STORE_LABELS.get(s, s))
    return frame


def brand_name(conn: duckdb.DuckDBPyConnection, brand: str) -> str:
    """The brand's name as the reader knows it (dim_brand.jd_brand_name), else its folder code."""
    if not table_exists(conn, "marts", "dim_brand"):
        return brand
    row = conn.execute("select max(jd_brand_name) from marts.dim_brand where brand = ?", [brand]).fetchone()
    return str(row[0]) if row and row[0] else brand
