"""What the lake tests compare: the lake read back as a reader reads it, against `raw.<source>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from jd_pipeline.ingest.loader import LoadSummary
from jd_pipeline.lake import duckdb_glob
from tests.extract_files import write_csv
from tests.ingest.helpers import SALT
from tests.ingest.samples import ADS_HEADERS, ads_rows


def load(conn: duckdb.DuckDBPyConnection, source: str, start: str, end: str, landing: Path) -> LoadSummary:
    return load_partition_range(conn, get_contract(source), start, end, landing, salt=SALT)


def lake_relation(conn: duckdb.DuckDBPyConnection, url: str, source: str) -> str:
    """SQL for the lake's copy of `raw.<source>`, read as LAKE_SPEC tells a reader to."""
    if url.startswith("memory://") and not conn.filesystem_is_registered("memory"):
        import fsspec

        conn.register_filesystem(fsspec.filesystem("memory"))
    return f"read_parquet('{duckdb_glob(url, source)}', hive_partitioning = false)"


def assert_lake_equals_raw(conn: duckdb.DuckDBPyConnection, url: str, source: str) -> int:
    """Same columns with the same types, and the same rows (as a multiset). Returns the row count."""
    lake = lake_relation(conn, url, source)
    assert _types(conn, f"SELECT * FROM {lake}") == _types(conn, f"SELECT * FROM raw.{source}")
    for a, b in ((lake, f"raw.{source}"), (f"raw.{source}", lake)):
        extra = conn.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall()
        assert extra == [], f"rows of {a} not in {b}: {extra[:3]}"
    n = conn.execute(f"SELECT count(*) FROM raw.{source}").fetchone()
    assert n is not None
    return int(n[0])


def _types(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str]]:
    rel = conn.sql(sql)
    return [(name, str(t)) for name, t in zip(rel.columns, rel.types, strict=True)]


def write_ads(landing: Path, day: str, pulled: str, cost: str = "¥500.00") -> Path:
    """A 京准通 report of `day` pulled on `pulled` (YYYYMMDD), two campaigns, the first costing `cost`."""
    return write_csv(
        landing,
        f"jd_ads/acme/{day}/ads_pulled{pulled}.csv",
        ADS_HEADERS,
        ads_rows(day=day, cost1=cost),
        encoding="utf-8",
        bom=True,
    )


def lake_units(conn: duckdb.DuckDBPyConnection, source: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT brand, store, period, file_key, rows FROM ops.lake_units WHERE source = ? ORDER BY ALL",
        [source],
    ).fetchall()
