"""Warehouse tables besides raw that the dbt models read, carried by the lake (docs/raw_lake.md):

- `config.<table>` (brands.yaml as tables) -> `<url>/config/<table>/part.parquet`, rewritten every
  time `write_config_tables` writes the warehouse's copy (before every dbt build);
- `ops.file_totals` (the loader's dropped total rows) -> one object per source,
  `<url>/ops/file_totals/source=<source>/part.parquet`, rewritten by `sync_lake` of that source when
  its rows changed (ops.lake_tables records what was written).

Each object is replaced atomically (`Lake.write`), like a raw unit's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import duckdb

from jd_pipeline.ingest.sql import lit, q
from jd_pipeline.lake.paths import PART_NAME
from jd_pipeline.lake.store import Lake
from jd_pipeline.warehouse import fetch_row, table_exists, transaction

LAKE_TABLES_DDL = """
CREATE TABLE IF NOT EXISTS ops.lake_tables (
    relpath VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    url VARCHAR NOT NULL,
    written_at TIMESTAMP NOT NULL
)"""


def table_relpath(schema: str, table: str) -> str:
    """`<schema>/<table>/part.parquet`: where a whole warehouse table lives in the lake."""
    return f"{quote(schema, safe='')}/{quote(table, safe='')}/{PART_NAME}"


def file_totals_relpath(source: str) -> str:
    """`ops/file_totals/source=<source>/part.parquet`: one source's rows of ops.file_totals."""
    return f"ops/file_totals/source={quote(source, safe='')}/{PART_NAME}"


def config_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the `config` schema (the dbt `config` source reads each)."""
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'config' ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def write_config_objects(conn: duckdb.DuckDBPyConnection, url: str) -> list[str]:
    """Rewrite every config table's object. No change check: three objects of a few rows each,
    written once per dbt build, cost less than keeping their state in sync with the lake (a
    rewrite also repairs an object deleted by hand or a lake moved to a new URL).
    Returns the tables written."""
    lake = Lake(url)
    tables = config_tables(conn)
    for table in tables:
        lake.write(conn, f"SELECT * FROM config.{q(table)} ORDER BY ALL", table_relpath("config", table))
    return tables


def ensure_lake_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS ops")
    conn.execute(LAKE_TABLES_DDL)


def file_totals_fingerprint(conn: duckdb.DuckDBPyConnection, source: str) -> tuple[str, int]:
    """(fingerprint, rows) of the source's ops.file_totals rows. The loader only ever inserts a
    load's rows in its commit (never updates or deletes them), so the row count and the set of
    load ids identify the content without hashing it."""
    rows, ids = fetch_row(
        conn,
        "SELECT count(*), md5(coalesce(string_agg(DISTINCT load_id, ',' ORDER BY load_id), '')) "
        "FROM ops.file_totals WHERE source = ?",
        [source],
    )
    return f"{rows}:{ids}", int(rows)


def sync_file_totals(conn: duckdb.DuckDBPyConnection, source: str, lake: Lake) -> int | None:
    """Rewrite the source's ops.file_totals object when its rows (or the lake URL) changed since
    ops.lake_tables recorded it. A source without totals gets an empty object too, so a reader's
    folder always has a file to take the schema from. Returns the rows written, None if unchanged."""
    if not table_exists(conn, "ops", "file_totals"):
        return None  # no load has run yet: nothing to carry
    ensure_lake_tables(conn)
    relpath = file_totals_relpath(source)
    target = lake.object_url(relpath)
    fingerprint, rows = file_totals_fingerprint(conn, source)
    recorded = conn.execute(
        "SELECT fingerprint, url FROM ops.lake_tables WHERE relpath = ?", [relpath]
    ).fetchone()
    if recorded == (fingerprint, target):
        return None
    lake.write(
        conn,
        f"SELECT * FROM ops.file_totals WHERE source = {lit(source)} ORDER BY load_id, row_number, column_name",
        relpath,
    )
    record_table(conn, relpath, fingerprint, rows, target)
    return rows


def record_table(
    conn: duckdb.DuckDBPyConnection, relpath: str, fingerprint: str, rows: int, url: str
) -> None:
    """The lake now holds `relpath` with this content (written after the object: a crash between
    the two only makes the next sync write the same object again)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(conn):
        conn.execute("DELETE FROM ops.lake_tables WHERE relpath = ?", [relpath])
        conn.execute(
            "INSERT INTO ops.lake_tables VALUES (?, ?, ?, ?, ?)", [relpath, fingerprint, rows, url, now]
        )
