"""Does the nightly publish grow with history? DuckDB publish after 30 days vs after 3 years.

    .venv/bin/python benchmarks/bench_publish_history.py [--rows-per-day 3000] [--nights 3]

For each history length (31 and 1,096 days, the same rows per day), builds a working warehouse
of the marts' shape (jd_pipeline/serving/bench_publish.py), publishes it once (every table copied:
what every publish did before publishes wrote only what changed), then plays --nights nights:
each restates the last 3 days of every mart (values change) and appends a new day, and publishes.
The figure is the median nightly publish after 3 years ÷ the same after 30 days (#19: ≤ 1.1).
Writes benchmarks/results/publish_history.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jd_pipeline.serving.bench_publish import GRAINS, build

HISTORIES = (31, 1096)  # about 30 days and 3 years; not multiples of 3, as the builder's brands cycle


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows-per-day", type=int, default=3000)
    parser.add_argument("--nights", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "publish_history.json"
    )
    args = parser.parse_args()
    figures: dict[str, object] = {
        "rows_per_day": args.rows_per_day,
        "cpus": os.cpu_count(),
        "load_before": round(os.getloadavg()[0], 1),
    }
    for days in HISTORIES:
        figures.update(_measure(days, args.rows_per_day, args.nights))
    short, long = (statistics.median(figures[f"nightly_publish_seconds_{d}d"]) for d in HISTORIES)
    figures["ratio_nightly_3y_to_30d"] = round(long / short, 2)
    full_short, full_long = (figures[f"full_publish_seconds_{d}d"] for d in HISTORIES)
    figures["ratio_full_copy_3y_to_30d"] = round(full_long / full_short, 2)
    figures["load_after"] = round(os.getloadavg()[0], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


def _measure(days: int, rows_per_day: int, nights: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix=f"jd-bench-history-{days}d-"))
    os.environ["JD_DATA_DIR"] = str(root)
    from jd_pipeline.config import get_settings
    from jd_pipeline.serving.duckdb_publish import publish_serving

    settings = get_settings()
    assert settings.warehouse_db.is_relative_to(root), settings.warehouse_db
    try:
        build(settings.warehouse_db, rows_per_day * days, days=days)
        full = publish_serving(settings)
        seconds, written = [], []
        for night in range(nights):
            _play_night(settings.warehouse_db, night)
            began = time.perf_counter()
            result = publish_serving(settings)
            seconds.append(round(time.perf_counter() - began, 3))
            written.append(sum(t.written_rows for t in result.tables))
        served_mb = round(settings.serving_db.stat().st_size / 1e6, 1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        f"rows_{days}d": full.total_rows,
        f"served_file_mb_{days}d": served_mb,
        f"full_publish_seconds_{days}d": full.duration_seconds,
        f"nightly_publish_seconds_{days}d": seconds,
        f"nightly_written_rows_{days}d": written,
        f"nightly_actions_{days}d": sorted({f"{t.qualified_name}: {t.action}" for t in result.tables}),
    }


def _play_night(warehouse: Path, night: int) -> None:
    """The last 3 days of every mart restated, and a new day appended (a copy of the last one)."""
    con = duckdb.connect(str(warehouse))
    try:
        for table in GRAINS:
            last = con.execute(f"SELECT max(date_day) FROM marts.{table}").fetchone()[0]
            measure = {
                "fct_sales_daily": "gmv",
                "fct_ads_daily": "cost",
                "fct_sku_funnel_daily": "deal_amount",
            }[table]
            con.execute(
                f"UPDATE marts.{table} SET {measure} = {measure} + {night + 1} "
                f"WHERE date_day > DATE '{last}' - INTERVAL 3 DAY"
            )
            con.execute(
                f"INSERT INTO marts.{table} SELECT * REPLACE (date_day + 1 AS date_day) "
                f"FROM marts.{table} WHERE date_day = DATE '{last}'"
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()


if __name__ == "__main__":
    main()
