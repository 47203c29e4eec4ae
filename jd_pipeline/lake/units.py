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


_UNIT_MATCH = (
    "source = ? AND brand = ? AND store IS NOT DISTINCT FROM ? AND period = ? "
    "AND file_key IS NOT DISTINCT FROM ?"
)


def _key(unit: LakeUnit) -> list[str | None]:
    return [unit.source, unit.brand, unit.store, unit.period, unit.file_key]


def record_unit(conn: duckdb.DuckDBPyConnection, unit: LakeUnit, state: UnitState, url: str) -> None:
    """The lake now holds `state` of `unit` at `url` (one transaction: one row per unit)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM ops.lake_units WHERE {_UNIT_MATCH}", _key(unit))
        conn.execute(
            "INSERT INTO ops.lake_units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*_key(unit), state.load_id, state.rows, url, datetime.now(UTC).replace(tzinfo=None)],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def forget_unit(conn: duckdb.DuckDBPyConnection, unit: LakeUnit) -> None:
    """The lake no longer holds `unit`."""
    conn.execute(f"DELETE FROM ops.lake_units WHERE {_UNIT_MATCH}", _key(unit))
