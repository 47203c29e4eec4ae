"""Fixtures for the serving tests: a small working warehouse with the contract's marts and ops tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from jd_pipeline.config import get_settings


def build_working_warehouse(path: Path, generation: int = 1, rows: int = 1_000) -> None:
    """`marts.fct_sales_daily`, `marts.fct_gen` and `ops.load_manifest`/`ops.gen_marker`, all
    stamped with `generation` so a reader can tell snapshots apart."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS ops; CREATE SCHEMA IF NOT EXISTS raw"
        )
        con.execute("CREATE OR REPLACE TABLE raw.jd_pop_orders AS SELECT 1 AS x")  # never published
        con.execute(
            f"""
            CREATE OR REPLACE TABLE marts.fct_sales_daily AS
            SELECT DATE '2026-11-01' + CAST(i % 20 AS INTEGER) AS date_day,
                   'acme' AS brand,
                   CASE WHEN i % 3 = 0 THEN 'self' ELSE 'pop' END AS store_type,
                   'sku' || (i % 50) AS sku_id,
                   CAST(i % 7 + 1 AS BIGINT) AS units,
                   CAST((i % 97) * 10.25 AS DECIMAL(18,2)) AS gmv,
                   CAST((i % 97) * 9.75 AS DECIMAL(18,2)) AS net_sales,
                   CAST(1 AS BIGINT) AS orders,
                   CAST(1 AS BIGINT) AS buyers,
                   {generation} AS generation
            FROM range({rows}) t(i)
            """
        )
        con.execute(
            f"CREATE OR REPLACE TABLE marts.fct_gen AS SELECT {generation} AS generation, i FROM range({rows}) t(i)"
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE ops.load_manifest AS
            SELECT * FROM (VALUES
              ('jd_pop_orders/acme/2026-11-25/a.csv', 'jd_pop_orders', 'acme', 'pop', '2026-11-25', 'loaded', NULL, TIMESTAMP '2026-11-26 02:10:00'),
              ('jd_pop_orders/acme/2026-11-26/a.csv', 'jd_pop_orders', 'acme', 'pop', '2026-11-26', 'loaded', NULL, TIMESTAMP '2026-11-27 02:10:00'),
              ('jd_ads/acme/2026-11-26/r_pulled20261127.csv', 'jd_ads', 'acme', NULL, '2026-11-26', 'rejected', 'unknown 产品线 外星广告', TIMESTAMP '2026-11-27 02:11:00'),
              ('jd_vc_sales/beta/2026-11-26/s.xlsx', 'jd_vc_sales', 'beta', 'self', '2026-11-26', 'loaded', NULL, TIMESTAMP '2026-11-27 02:12:00')
            ) t(path, source, brand, store, period, status, reason, loaded_at)
            """
        )
        con.execute(f"CREATE OR REPLACE TABLE ops.gen_marker AS SELECT {generation} AS generation")
    finally:
        con.close()


@pytest.fixture
def working_warehouse(data_dir: Path) -> Path:
    path = get_settings().warehouse_db
    build_working_warehouse(path)
    return path
