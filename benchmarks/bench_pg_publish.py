"""PostgreSQL publish vs DuckDB publish, and BI readers during publishes.

    .venv/bin/python benchmarks/bench_pg_publish.py --rows 10000000 [--readers 20] [--publishes 4] [--rounds 3]

1. Builds a working warehouse of the marts' shape (jd_pipeline/serving/bench_publish.py: sales 50 %,
   ads 30 %, funnel 20 % of --rows) and publishes it to DuckDB (`publish_serving`, no Parquet and
   with Parquet).
2. Starts a PostgreSQL server of its own (initdb in a temp dir, free port) and publishes the
   served file to it: first publish (every table copied), again unchanged (nothing copied), and
   a nightly-like one (one day of sales changed: that table copied). The first publishes are
   --rounds pairs of a full DuckDB publish and a full PostgreSQL publish, side by side.
   `--source <warehouse.duckdb> --manifest <manifest.json>` measures those first publishes on
   a warehouse the pipeline built instead (real marts, grains and comments).
3. Readers: --readers threads, each running BI-style queries (a store total joined to the
   generation) as the read-only role while --publishes generations are published. Each query
   returns (generation, total); a torn read is a total that is not that generation's.

Prints one table and writes benchmarks/results/pg_publish.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jd_pipeline.serving.bench_publish import build, write_manifest
from jd_pipeline.serving.local_postgres import temporary_server

READER_SQL = """
    SELECT (SELECT generation FROM ops.publish_info) AS generation, s.total
    FROM (SELECT sum(gmv) AS total FROM marts.fct_sales_daily WHERE store_type = 'self') s"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--publishes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="full DuckDB + PostgreSQL publishes compared")
    parser.add_argument(
        "--source", type=Path, help="a warehouse the pipeline built, instead of the synthetic one"
    )
    parser.add_argument("--manifest", type=Path, help="with --source: its dbt manifest (grains, comments)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "pg_publish.json")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="jd-bench-pg-"))
    try:
        _bench(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _bench(args: argparse.Namespace, root: Path) -> None:
    os.environ["JD_DATA_DIR"] = str(root / "data")
    from jd_pipeline.config import get_settings
    from jd_pipeline.serving.duckdb_publish import publish_serving
    from jd_pipeline.serving.pg_settings import pg_settings
    from jd_pipeline.serving.postgres_publish import publish_jobs, publish_postgres

    settings = get_settings()
    figures: dict[str, object] = {
        "rows": args.rows,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    began = time.perf_counter()
    if args.source:
        # A warehouse the pipeline built (a served file holds the same `marts` and `ops`).
        settings.warehouse_db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.source, settings.warehouse_db)
        manifest = args.manifest
        figures["source"] = str(args.source)
        figures["rows"] = _source_rows(settings.warehouse_db)
    else:
        build(settings.warehouse_db, args.rows)
        manifest = write_manifest(root / "manifest.json")
    figures["build_seconds"] = round(time.perf_counter() - began, 1)
    duck_np = publish_serving(settings, write_parquet=False)
    figures["duckdb_publish_seconds_no_parquet"] = duck_np.duration_seconds

    with temporary_server() as server:
        os.environ.update(server.env())
        os.environ["JD_PG_BI_PASSWORD"] = "bench-reader"
        pg = pg_settings()
        with psycopg.connect(pg.dsn, **pg.connect_kwargs()) as con:
            figures["pg_wal_level"] = con.execute("SHOW wal_level").fetchone()[0]
        # Full publishes, DuckDB then PostgreSQL, round after round: on a shared machine the load
        # changes by the minute, so each round's ratio compares two publishes made side by side.
        duck_rounds, pg_rounds = [], []
        for _ in range(args.rounds):
            shutil.rmtree(settings.serving_dir, ignore_errors=True)
            duck_rounds.append(publish_serving(settings).duration_seconds)
            _empty_serving_database(server, pg)
            first = publish_postgres(settings.serving_db, pg, manifest_path=manifest)
            pg_rounds.append(first.duration_seconds)
        figures["duckdb_publish_seconds_rounds"] = duck_rounds
        figures["pg_first_publish_seconds_rounds"] = pg_rounds
        figures["ratio_pg_first_to_duckdb_rounds"] = [round(p / d, 2) for d, p in zip(duck_rounds, pg_rounds)]
        figures["duckdb_publish_seconds"] = statistics.median(duck_rounds)
        figures["pg_first_publish_seconds"] = statistics.median(pg_rounds)
        figures["pg_publish_jobs"] = publish_jobs()
        figures["pg_first_rows_per_second"] = round(first.rows_per_second)
        figures["pg_first_copied_rows"] = first.copied_rows
        figures["pg_first_keys"] = sorted({f"{t.name}: {t.key}" for t in first.tables if t.key})
        if args.source:  # the nightly and readers figures need the synthetic sales mart
            figures["ratio_pg_first_to_duckdb"] = round(
                figures["pg_first_publish_seconds"] / figures["duckdb_publish_seconds"], 2
            )
            _write(figures, args.out)
            return
        again = publish_postgres(settings.serving_db, pg, manifest_path=manifest)
        figures["pg_unchanged_publish_seconds"] = again.duration_seconds
        figures["pg_unchanged_copied_tables"] = sum(t.copied for t in again.tables)
        _change_one_day(settings.warehouse_db, 1)
        publish_serving(settings, write_parquet=False)
        nightly = publish_postgres(settings.serving_db, pg, manifest_path=manifest)
        figures["pg_one_table_changed_publish_seconds"] = nightly.duration_seconds
        figures["pg_one_table_changed_copied"] = [f"{t.schema}.{t.name}" for t in nightly.tables if t.copied]
        if args.readers:
            figures.update(_readers_during_publishes(settings, server, pg, args, manifest))
    figures["ratio_pg_first_to_duckdb"] = round(
        figures["pg_first_publish_seconds"] / figures["duckdb_publish_seconds"], 2
    )
    figures["ratio_pg_nightly_to_duckdb"] = round(
        figures["pg_one_table_changed_publish_seconds"] / figures["duckdb_publish_seconds"], 2
    )
    _write(figures, args.out)


def _write(figures: dict[str, object], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


def _source_rows(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('marts', 'ops')"
        ).fetchall()
        return sum(con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in tables)
    finally:
        con.close()


def _empty_serving_database(server, pg) -> None:
    """Drop what a publish created, so the next publish is a first one (every table copied)."""
    from jd_pipeline.serving.duckdb_publish import PUBLISHED_SCHEMAS
    from jd_pipeline.serving.postgres_publish import META_SCHEMA, STORE_SCHEMA

    with psycopg.connect(server.dsn, password=server.password, autocommit=True) as con:
        for schema in (*PUBLISHED_SCHEMAS, STORE_SCHEMA, META_SCHEMA):
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _change_one_day(warehouse: Path, delta: int) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            f"UPDATE marts.fct_sales_daily SET gmv = gmv + {delta} WHERE date_day = DATE '2025-03-01'"
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _served_total(served: Path) -> tuple[str, Decimal]:
    con = duckdb.connect(str(served), read_only=True)
    try:
        generation = con.execute("SELECT generation FROM ops.publish_info").fetchall()[0][0]
        total = con.execute(
            "SELECT sum(gmv) FROM marts.fct_sales_daily WHERE store_type = 'self'"
        ).fetchall()[0][0]
        return str(generation), Decimal(total)
    finally:
        con.close()


def _readers_during_publishes(settings, server, pg, args, manifest) -> dict[str, object]:
    from jd_pipeline.serving.duckdb_publish import publish_serving
    from jd_pipeline.serving.postgres_publish import publish_postgres

    expected = dict([_served_total(settings.serving_db)])
    stop = threading.Event()
    errors: list[str] = []
    seen: list[tuple[str, Decimal, float]] = []
    dsn = f"host=127.0.0.1 port={server.port} dbname={server.database} user={pg.bi_role}"

    def reader() -> None:
        with psycopg.connect(dsn, password=pg.bi_password, autocommit=True) as con:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    generation, total = con.execute(READER_SQL).fetchone()
                    seen.append((generation, total, time.perf_counter() - started))
                except psycopg.Error as exc:
                    errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(args.readers)]
    for t in threads:
        t.start()
    publish_seconds = []
    try:
        for n in range(args.publishes):
            _change_one_day(settings.warehouse_db, 2 + n)
            publish_serving(settings, write_parquet=False)
            generation, total = _served_total(settings.serving_db)
            expected[generation] = total
            publish_seconds.append(
                publish_postgres(settings.serving_db, pg, manifest_path=manifest).duration_seconds
            )
            time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    torn = [(g, t) for g, t, _ in seen if expected.get(g) != t]
    latencies = sorted(s for _, _, s in seen)
    return {
        "readers": args.readers,
        "publishes_during_reads": args.publishes,
        "publish_seconds_under_read_load": publish_seconds,
        "reader_queries": len(seen),
        "reader_errors": len(errors),
        "reader_error_kinds": sorted(set(errors))[:5],
        "torn_reads": len(torn),
        "generations_seen": len({g for g, _, _ in seen}),
        "reader_p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "reader_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
    }


if __name__ == "__main__":
    main()
