"""Spark local vs DuckDB on the same raw lake (issue 18, item 5; docs/scale_out.md).

    python benchmarks/lake_engines.py --lake DIR [--rounds 3] [--out results/lake_engines.json]

The lake is what `JD_RAW_LAKE_URL` / `jd-pipeline lake-sync` writes (docs/raw_lake.md). Each
engine, in a process of its own: start (a DuckDB connection; a local SparkSession, `local[2]`),
then every source's table read from the lake and counted, then a staging-like aggregation of the
POP order lines (settled amount and units by brand and day) — `--rounds` times, the first round
cold. Prints one line per engine; needs pyspark (the `spark` extra) and Java 17.

This measures the engines on the lake, not `dbt build`: the dbt Spark target is compared to the
DuckDB target by tests/spark once it exists.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

AGGREGATE = (
    "SELECT _brand, CAST(order_ts AS DATE) AS day, SUM(settlement_amount) AS settled, SUM(qty) AS units "
    "FROM jd_pop_orders GROUP BY 1, 2"
)


def sources(lake: Path) -> list[str]:
    return sorted(p.name for p in lake.iterdir() if p.is_dir() and any(p.rglob("*.parquet")))


def run_duckdb(lake: Path, rounds: int) -> dict:
    import duckdb

    started = time.perf_counter()
    conn = duckdb.connect()
    start = time.perf_counter() - started
    result: dict = {"engine": "duckdb", "start_s": start, "rounds": []}
    for _ in range(rounds):
        began = time.perf_counter()
        rows = 0
        for source in sources(lake):
            glob = f"{lake}/{source}/**/*.parquet"
            conn.execute(
                f"CREATE OR REPLACE VIEW {source} AS "
                f"SELECT * FROM read_parquet('{glob}', hive_partitioning = false, union_by_name = true)"
            )
            rows += conn.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        read = time.perf_counter() - began
        groups = len(conn.execute(AGGREGATE).fetchall())
        result["rounds"].append({"read_s": read, "aggregate_s": time.perf_counter() - began - read})
    result.update(rows=rows, groups=groups)
    return result


def run_spark(lake: Path, rounds: int) -> dict:
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("lake_engines")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    start = time.perf_counter() - started
    result: dict = {"engine": "spark local[2]", "start_s": start, "rounds": []}
    for _ in range(rounds):
        began = time.perf_counter()
        rows = 0
        for source in sources(lake):
            frame = spark.read.option("recursiveFileLookup", "true").option("mergeSchema", "true")
            frame.parquet(str(lake / source)).createOrReplaceTempView(source)
            rows += spark.sql(f"SELECT count(*) FROM {source}").collect()[0][0]
        read = time.perf_counter() - began
        groups = len(spark.sql(AGGREGATE).collect())
        result["rounds"].append({"read_s": read, "aggregate_s": time.perf_counter() - began - read})
    result.update(rows=rows, groups=groups, version=spark.version)
    spark.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", choices=["duckdb", "spark"], help="one engine, in this process")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.engine:
        run = run_duckdb if args.engine == "duckdb" else run_spark
        print(json.dumps(run(args.lake.resolve(), args.rounds)))
        return 0
    results = []
    for engine in ("duckdb", "spark"):  # each in a fresh process: no warm JVM or cache shared
        began = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--lake",
                str(args.lake),
                "--rounds",
                str(args.rounds),
                "--engine",
                engine,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["process_s"] = time.perf_counter() - began
        results.append(result)
        warm = result["rounds"][-1]
        print(
            f"{result['engine']:<15} process {result['process_s']:6.1f}s  start {result['start_s']:5.1f}s  "
            f"cold read+aggregate {sum(result['rounds'][0].values()):5.2f}s  "
            f"warm read {warm['read_s']:5.2f}s  warm aggregate {warm['aggregate_s']:5.2f}s  "
            f"{result['rows']:,} rows, {result['groups']:,} groups"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
