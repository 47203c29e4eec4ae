"""What raw holds per unit, and what the lake holds per unit (`ops.lake_units`).

The sync compares the two: a unit whose current load ids or row count differ from its
`ops.lake_units` row (or whose object lives at another URL) is written; a recorded unit raw no
longer has is removed. Both sides are read from the warehouse, so the sync needs no listing of
the lake and is a pure function of raw + ops.lake_units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.sql import q
from jd_pipeline.lake.paths import LakeUnit
from jd_pipeline.warehouse import transaction

LAKE_UNITS_DDL = """
CREATE TABLE IF NOT EXISTS ops.lake_units (
    source VARCHAR NOT NULL,
    brand VARCHAR NOT NULL,
    store VARCHAR,
    period VARCHAR NOT NULL,
    file_key VARCHAR,
    load_id VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    url VARCHAR NOT NULL,
    written_at TIMESTAMP NOT NULL
)"""


@dataclass(frozen=True)
class UnitState:
    """A unit's content: its load ids (sorted, comma-joined; one after every ingest commit) and rows."""

    load_id: str
    rows: int
    url: str | None = None  # where its object is (recorded units only)

    @property
    def load_ids(self) -> list[str]:
        return self.load_id.split(",")


def ensure_lake_units(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS ops")
    conn.execute(LAKE_UNITS_DDL)


def raw_units(conn: duckdb.DuckDBPyConnection, contract: Contract) -> dict[LakeUnit, UnitState]:
    """Every unit `raw.<source>` holds now. Grouped by `_load_id` (one key, the cheap grouping);
    a load id belongs to one file, so to one unit. Sources replaced per file take the unit's
    file key from the manifest row of the load id."""
    source = contract.source
    per_file = contract.replace == "file"
    file_key = "m.file_key" if per_file else "NULL"
    join = (
        "LEFT JOIN (SELECT load_id, any_value(file_key) AS file_key FROM ops.load_manifest "
        "WHERE source = ? GROUP BY load_id) m ON m.load_id = r.load_id"
        if per_file
        else ""
    )
    rows = conn.execute(
        f"""SELECT r.brand, r.store, r.period, {file_key}, r.load_id, r.n
            FROM (SELECT _load_id AS load_id, any_value(_brand) AS brand, any_value(_store) AS store,
                         any_value(_period) AS period, count(*) AS n
                  FROM raw.{q(source)} GROUP BY _load_id) r {join}""",
        [source] if per_file else [],
    ).fetchall()
    grouped: dict[LakeUnit, list[tuple[str, int]]] = {}
    for brand, store, period, key, load_id, n in rows:
        grouped.setdefault(LakeUnit(source, brand, store, period, key), []).append((load_id, n))
    return {
        unit: UnitState(",".join(sorted(lid for lid, _ in parts)), sum(n for _, n in parts))
        for unit, parts in grouped.items()
    }


def recorded_units(conn: duckdb.DuckDBPyConnection, source: str) -> dict[LakeUnit, UnitState]:
    """What ops.lake_units says the lake holds for `source`."""
    rows = conn.execute(
        "SELECT brand, store, period, file_key, load_id, rows, url FROM ops.lake_units WHERE source = ?",
        [source],
    ).fetchall()
    return {
        LakeUnit(source, brand, store, period, key): UnitState(load_id, n, url)
        for brand, store, period, key, load_id, n, url in rows
    }


def record_units(conn: duckdb.DuckDBPyConnection, written: list[tuple[LakeUnit, UnitState, str]]) -> None:
    """The lake now holds each (unit, state, url) of `written`: one row per unit, all in one
    transaction (a row per unit and statement would cost more than writing the objects)."""
    if written:
        _replace_rows(conn, [u for u, _, _ in written], written)


def forget_units(conn: duckdb.DuckDBPyConnection, removed: list[LakeUnit]) -> None:
    """The lake no longer holds these units."""
    if removed:
        _replace_rows(conn, removed, [])


def _replace_rows(
    conn: duckdb.DuckDBPyConnection, drop: list[LakeUnit], add: list[tuple[LakeUnit, UnitState, str]]
) -> None:
    import pyarrow as pa

    now = datetime.now(UTC).replace(tzinfo=None)
    keys = pa.table(
        {
            "source": [u.source for u in drop],
            "brand": [u.brand for u in drop],
            "store": pa.array([u.store for u in drop], pa.string()),
            "period": [u.period for u in drop],
            "file_key": pa.array([u.file_key for u in drop], pa.string()),
        }
    )
    rows = pa.table(
        {
            "source": pa.array([u.source for u, _, _ in add], pa.string()),
            "brand": pa.array([u.brand for u, _, _ in add], pa.string()),
            "store": pa.array([u.store for u, _, _ in add], pa.string()),
            "period": pa.array([u.period for u, _, _ in add], pa.string()),
            "file_key": pa.array([u.file_key for u, _, _ in add], pa.string()),
            "load_id": pa.array([s.load_id for _, s, _ in add], pa.string()),
            "rows": pa.array([s.rows for _, s, _ in add], pa.int64()),
            "url": pa.array([url for _, _, url in add], pa.string()),
            "written_at": pa.array([now] * len(add), pa.timestamp("us")),
        }
    )
    conn.register("_lake_drop", keys)
    conn.register("_lake_add", rows)
    try:
        with transaction(conn):
            conn.execute(
                "DELETE FROM ops.lake_units l USING _lake_drop d WHERE l.source = d.source AND l.brand = d.brand "
                "AND l.store IS NOT DISTINCT FROM d.store AND l.period = d.period "
                "AND l.file_key IS NOT DISTINCT FROM d.file_key"
            )
            conn.execute("INSERT INTO ops.lake_units SELECT * FROM _lake_add")
    finally:
        conn.unregister("_lake_drop")
        conn.unregister("_lake_add")
