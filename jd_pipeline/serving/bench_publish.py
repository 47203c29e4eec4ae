"""Measure `publish_serving` on a synthetic warehouse of realistic shape.

    python -m jd_pipeline.serving.bench_publish --dir /tmp/jd-bench --rows 10000000 [--repeat 2]

Builds `marts.fct_sales_daily` (50 %), `marts.fct_ads_daily` (30 %), `marts.fct_sku_funnel_daily`
(20 %) and `ops.load_manifest` in `<dir>/warehouse/warehouse.duckdb`, then publishes to
`<dir>/serving/` and prints the timings. Each mart is unique on its grain (`GRAINS`), as the
real marts are, so a publish that keys the grain builds primary keys, not fallback indexes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import duckdb

# The grain of each synthetic mart. Rows are laid out day after day (as incremental marts grow):
# row i of a mart is day i // per_day; within a day, brand and sku_id number the rows, so every
# row is unique on the grain.
GRAINS: dict[str, tuple[str, ...]] = {
    "fct_sales_daily": ("date_day", "brand", "store_type", "sku_id"),
    "fct_ads_daily": ("date_day", "brand", "product_line", "campaign_id", "adgroup_id", "sku_id"),
    "fct_sku_funnel_daily": ("date_day", "brand", "store_type", "sku_id"),
}
FIRST_DAY = "2025-01-01"


def build(path: Path, rows: int, days: int = 700) -> None:
    """`rows` rows over `days` days: sales 50 %, ads 30 %, funnel 20 %, and a load manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    sales, ads, funnel = rows // 2, rows * 3 // 10, rows - rows // 2 - rows * 3 // 10
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA ops")
        for table, count, columns in (
            (
                "fct_sales_daily",
                sales,
                """CASE WHEN r % 3 = 0 THEN 'self' ELSE 'pop' END AS store_type,
                 'sku' || (r // 3) AS sku_id, CAST(i % 9 AS BIGINT) AS units,
                 CAST((i % 9973) * 1.37 AS DECIMAL(18,2)) AS gmv, CAST((i % 9973) * 1.21 AS DECIMAL(18,2)) AS net_sales,
                 CAST(i % 5 AS BIGINT) AS orders, CAST(i % 4 AS BIGINT) AS buyers""",
            ),
            (
                "fct_ads_daily",
                ads,
                """(['kuaiche','recommendation','smart','display'])[1 + i % 4] AS product_line,
                 'c' || (i % 500) AS campaign_id, 'g' || (i % 5000) AS adgroup_id, 'sku' || (r // 3) AS sku_id,
                 'pop' AS store_type, i % 11 = 0 AS is_haitou, CAST(i % 1000 AS BIGINT) AS impressions,
                 CAST(i % 50 AS BIGINT) AS clicks, CAST((i % 777) * 0.31 AS DECIMAL(18,2)) AS cost,
                 CAST((i % 999) * 2.1 AS DECIMAL(18,2)) AS total_order_amount, CAST(i % 3 AS BIGINT) AS total_orders""",
            ),
            (
                "fct_sku_funnel_daily",
                funnel,
                """'pop' AS store_type, 'sku' || (r // 3) AS sku_id,
                 CAST(i % 300 AS BIGINT) AS visitors, CAST(i % 900 AS BIGINT) AS page_views,
                 CAST(i % 20 AS BIGINT) AS deal_buyers, CAST((i % 5000) * 3.3 AS DECIMAL(18,2)) AS deal_amount""",
            ),
        ):
            per_day = max(1, -(-count // days))
            con.execute(f"""
                CREATE TABLE marts.{table} AS
                SELECT DATE '{FIRST_DAY}' + CAST(i // {per_day} AS INTEGER) AS date_day,
                       'brand' || (r % 3) AS brand, {columns}
                FROM (SELECT i, i % {per_day} AS r FROM range({count}) t(i))""")
        con.execute("""
            CREATE TABLE ops.load_manifest AS
            SELECT 'landing/x/' || i || '.csv' AS path, md5(i::VARCHAR) AS sha256, 'jd_pop_orders' AS source,
                   'brand' || (i % 3) AS brand, '2026-01-01' AS period, 'loaded' AS status,
                   now()::TIMESTAMP AS loaded_at
            FROM range(10000) t(i)""")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def write_manifest(path: Path) -> Path:
    """A dbt manifest of the synthetic marts: the grain tests (keys in PostgreSQL) and a Chinese
    label per column (comments), what the publish reads from the real project's manifest."""
    nodes: dict[str, dict] = {}
    for table, grain in GRAINS.items():
        nodes[f"model.bench.{table}"] = {
            "resource_type": "model",
            "name": table,
            "schema": "marts",
            "description": f"合成数据 {table}",
            "columns": {
                c: {"description": f"{c} column", "config": {"meta": {"label_zh": f"字段 {c}"}}}
                for c in grain
            },
        }
        nodes[f"test.bench.grain_{table}"] = {
            "resource_type": "test",
            "attached_node": f"model.bench.{table}",
            "test_metadata": {
                "name": "unique_combination_of_columns",
                "kwargs": {"combination_of_columns": list(grain)},
            },
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"nodes": nodes}, ensure_ascii=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-parquet", action="store_true")
    args = parser.parse_args()
    os.environ["JD_DATA_DIR"] = str(args.dir.resolve())
    from jd_pipeline.config import get_settings
    from jd_pipeline.serving.duckdb_publish import publish_serving

    settings = get_settings()
    began = time.perf_counter()
    build(settings.warehouse_db, args.rows)
    size_mb = settings.warehouse_db.stat().st_size / 1e6
    print(f"built {args.rows:,} rows in {time.perf_counter() - began:.1f}s ({size_mb:.0f} MB)")
    for n in range(args.repeat):
        result = publish_serving(settings, write_parquet=not args.no_parquet)
        served_mb = settings.serving_db.stat().st_size / 1e6
        print(
            f"publish #{n + 1}: {result.duration_seconds:.2f}s, {result.total_rows:,} rows, "
            f"{len(result.tables)} tables, served file {served_mb:.0f} MB"
        )


if __name__ == "__main__":
    main()
