"""ops tables of the loader (`ops.load_manifest`, `ops.quarantine_rows`, `ops.file_totals`)
and the read-side helpers the sensor and `jd-pipeline status` use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.landing import LandingFile, RefusedPath
from jd_pipeline.ingest.sql import q

OPS_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.load_manifest (
    load_id VARCHAR, path VARCHAR, sha256 VARCHAR, size BIGINT, fingerprint VARCHAR,
    source VARCHAR, brand VARCHAR, store VARCHAR, period VARCHAR, file_key VARCHAR,
    pulled_on DATE, delivered_at TIMESTAMP, status VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_total BIGINT,
    reason VARCHAR, replaced_by VARCHAR, loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ops.quarantine_rows (
    load_id VARCHAR, source VARCHAR, file_path VARCHAR, row_number BIGINT, reason VARCHAR,
    raw_values JSON, quarantined_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ops.file_totals (
    load_id VARCHAR, source VARCHAR, brand VARCHAR, store VARCHAR, period VARCHAR,
    total_label VARCHAR, column_name VARCHAR, total_value DECIMAL(38,4), detail_value DECIMAL(38,4),
    row_number BIGINT
);
"""

STATUSES = (
    "loaded",
    "replaced",
    "duplicate",
    "rejected",
    "held",
    "accepted",
)  # held, accepted: plausibility.py


@dataclass
class ManifestRow:
    load_id: str
    path: str
    sha256: str | None
    size: int | None
    fingerprint: str
    source: str | None
    brand: str | None
    store: str | None
    period: str | None
    file_key: str | None
    pulled_on: date | None
    delivered_at: datetime | None
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_total: int = 0
    reason: str | None = None
    replaced_by: str | None = None

    @classmethod
    def for_file(cls, lf: LandingFile, load_id: str, sha: str | None, status: str, **kw: Any) -> ManifestRow:
        return cls(
            load_id=load_id,
            path=lf.relpath,
            sha256=sha,
            size=lf.size,
            fingerprint=lf.fingerprint,
            source=lf.source,
            brand=lf.brand,
            store=lf.store,
            period=lf.period,
            file_key=lf.file_key,
            pulled_on=lf.pulled_on,
            delivered_at=datetime.fromtimestamp(lf.mtime, UTC).replace(tzinfo=None),
            status=status,
            **kw,
        )


_COLS = (
    "load_id, path, sha256, size, fingerprint, source, brand, store, period, file_key, pulled_on, "
    "delivered_at, status, rows_read, rows_loaded, rows_quarantined, rows_total, reason, replaced_by"
)


def ensure_ops_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(OPS_DDL)


def ensure_raw_table(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """`raw.<source>` per the raw table convention of ARCHITECTURE.md."""
    cols = ", ".join(f"{q(n)} {t}" for n, t in contract.output_columns())
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS raw.{q(contract.source)} (_load_id VARCHAR, _brand VARCHAR, "
        f"_store VARCHAR, _period VARCHAR, _row_number INTEGER, {cols})"
    )
    have = [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
            "ORDER BY ordinal_position",
            [contract.source],
        ).fetchall()
    ]
    want = [
        "_load_id",
        "_brand",
        "_store",
        "_period",
        "_row_number",
        *(n for n, _ in contract.output_columns()),
    ]
    if have != want:
        raise RuntimeError(
            f"raw.{contract.source} has columns {have}, the contract wants {want}: migrate or drop the table"
        )


def ensure_warehouse_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Every `raw.<source>` and ops table, empty where nothing was delivered yet.

    A source a brand does not deliver (yet) must leave its marts empty, not fail the dbt build.
    """
    from jd_pipeline.contracts import load_contracts

    ensure_ops_tables(conn)
    for contract in load_contracts().values():
        ensure_raw_table(conn, contract)


def insert_manifest(conn: duckdb.DuckDBPyConnection, row: ManifestRow) -> None:
    values = [getattr(row, c.strip()) for c in _COLS.split(",")]
    conn.execute(
        f"INSERT INTO ops.load_manifest ({_COLS}, loaded_at) VALUES ({', '.join('?' * len(values))}, now())",
        values,
    )


def insert_manifest_rows(conn: duckdb.DuckDBPyConnection, rows: Sequence[ManifestRow]) -> None:
    """Many manifest rows in one statement (through Arrow)."""
    if not rows:
        return
    import pyarrow as pa

    names = [c.strip() for c in _COLS.split(",")]
    table = pa.table({n: [getattr(r, n) for r in rows] for n in names})
    conn.register("_manifest_rows", table)
    try:
        conn.execute(
            f"INSERT INTO ops.load_manifest ({_COLS}, loaded_at) SELECT {_COLS}, now() FROM _manifest_rows"
        )
    finally:
        conn.unregister("_manifest_rows")


def record_refused(conn: duckdb.DuckDBPyConnection, refused: Iterable[RefusedPath]) -> int:
    """Record refused paths once (same path and reason = already recorded)."""
    n = 0
    for r in refused:
        exists = conn.execute("SELECT 1 FROM ops.load_manifest WHERE load_id = ?", [r.fingerprint]).fetchone()
        if exists:
            continue
        insert_manifest(
            conn,
            ManifestRow(
                load_id=r.fingerprint,
                path=r.relpath,
                sha256=None,
                size=None,
                fingerprint=r.fingerprint,
                source=r.source,
                brand=None,
                store=None,
                period=None,
                file_key=None,
                pulled_on=None,
                delivered_at=None,
                status="rejected",
                reason=r.reason,
            ),
        )
        n += 1
    return n


def seen_fingerprints(conn: duckdb.DuckDBPyConnection, source: str | None = None) -> set[tuple[str, str]]:
    """(path, fingerprint) of every file already in the manifest."""
    sql = "SELECT path, fingerprint FROM ops.load_manifest"
    params: list[object] = []
    if source:
        sql += " WHERE source = ?"
        params.append(source)
    try:
        return {(p, f) for p, f in conn.execute(sql, params).fetchall()}
    except duckdb.CatalogException:
        return set()


def unseen_files(conn: duckdb.DuckDBPyConnection, files: Sequence[LandingFile]) -> list[LandingFile]:
    """The files of `files` not yet in ops.load_manifest (new, or changed since seen).

    For the landing-zone sensor: a file whose path and fingerprint (size + mtime) are in the
    manifest is skipped, so ticks over already-seen files request nothing.
    """
    seen = seen_fingerprints(conn)
    return [f for f in files if (f.relpath, f.fingerprint) not in seen]


def latest_periods(conn: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Per source x brand x store: the newest period with a loaded file (for `jd-pipeline status`).

    A source a brand never delivered simply has no row; compare with the expected sources.
    """
    try:
        rows = conn.execute(
            """SELECT source, brand, store, max(period) AS newest_period, count(*) AS files,
                      sum(rows_loaded) AS rows_loaded, max(loaded_at) AS last_loaded_at
               FROM ops.load_manifest WHERE status = 'loaded'
               GROUP BY ALL ORDER BY source, brand, store"""
        ).fetchall()
    except duckdb.CatalogException:
        return []
    keys = ("source", "brand", "store", "newest_period", "files", "rows_loaded", "last_loaded_at")
    return [dict(zip(keys, r)) for r in rows]
