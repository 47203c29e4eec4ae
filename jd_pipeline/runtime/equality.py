"""Table equality of two warehouses: row count and an order-independent checksum of all columns,
and, where they differ, the first differing rows by key.

Used by `jd-pipeline verify` (working warehouse vs a rebuild from raw) and by the differential test
(nightly runs vs one `run --all`). DOUBLE columns (ratios) are rounded to 9 decimals before hashing:
they are computed from exact DECIMAL parts, but a sum of doubles may differ in the last bit with the
order rows were added in.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from jd_pipeline.warehouse import fetch_row, fetch_value

KEY_COLUMNS_SHOWN = 4


@dataclass(frozen=True)
class TableFingerprint:
    rows: int
    checksum: int


@dataclass(frozen=True)
class TableDifference:
    table: str
    left: TableFingerprint | None
    right: TableFingerprint | None
    only_left: list[tuple]  # first rows (key columns) only in the left warehouse
    only_right: list[tuple]

    def describe(self, left_name: str, right_name: str) -> str:
        if self.left is None or self.right is None:
            missing = left_name if self.left is None else right_name
            return f"{self.table}: missing in the {missing}"
        text = (
            f"{self.table}: {left_name} {self.left.rows:,} rows vs {right_name} {self.right.rows:,} rows, "
            f"checksums differ"
        )
        if self.only_left:
            text += f"; first keys only in the {left_name}: {self.only_left}"
        if self.only_right:
            text += f"; first keys only in the {right_name}: {self.only_right}"
        return text


def tables(conn: duckdb.DuckDBPyConnection, schema: str, catalog: str | None = None) -> list[str]:
    where = "table_schema = ? and table_type = 'BASE TABLE'" + (" and table_catalog = ?" if catalog else "")
    params = [schema, catalog] if catalog else [schema]
    return [
        r[0]
        for r in conn.execute(
            f"select table_name from information_schema.tables where {where} order by 1", params
        ).fetchall()
    ]


def _columns(conn: duckdb.DuckDBPyConnection, qualified: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute(f"describe {qualified}").fetchall()]


def _normalised(conn: duckdb.DuckDBPyConnection, qualified: str) -> str:
    parts = [
        f'round("{name}", 9) as "{name}"' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, kind in _columns(conn, qualified)
    ]
    return f"select {', '.join(parts)} from {qualified}"


def fingerprint(conn: duckdb.DuckDBPyConnection, qualified: str) -> TableFingerprint:
    rows, checksum = fetch_row(
        conn,
        f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from ({_normalised(conn, qualified)}) as t",
    )
    return TableFingerprint(int(rows), int(checksum))


def fingerprints(db_path: str, schema: str = "marts") -> dict[str, TableFingerprint]:
    with duckdb.connect(db_path, read_only=True) as conn:
        return {name: fingerprint(conn, f'"{schema}"."{name}"') for name in tables(conn, schema)}


def _first_differences(conn: duckdb.DuckDBPyConnection, left: str, right: str, limit: int) -> list[tuple]:
    names = [name for name, _ in _columns(conn, left)][:KEY_COLUMNS_SHOWN]
    keys = ", ".join(f'"{n}"' for n in names)
    return conn.execute(
        f"select {keys} from (({_normalised(conn, left)}) except all ({_normalised(conn, right)})) "
        f"order by all limit {limit}"
    ).fetchall()


def compare(
    left_db: str, right_db: str, schema: str = "marts", limit: int = 3, skip: frozenset[str] = frozenset()
) -> list[TableDifference]:
    """Every table of `schema` in either warehouse that differs, with its first differing keys."""
    with duckdb.connect(left_db, read_only=True) as conn:
        conn.execute(f"attach '{right_db}' as other (read_only)")
        left_tables = set(tables(conn, schema, catalog=fetch_value(conn, "select current_database()")))
        right_tables = set(tables(conn, schema, catalog="other"))
        differences: list[TableDifference] = []
        for name in sorted((left_tables | right_tables) - skip):
            left = f'"{schema}"."{name}"'
            right = f'other."{schema}"."{name}"'
            a = fingerprint(conn, left) if name in left_tables else None
            b = fingerprint(conn, right) if name in right_tables else None
            if a == b:
                continue
            only_left = _first_differences(conn, left, right, limit) if a and b else []
            only_right = _first_differences(conn, right, left, limit) if a and b else []
            differences.append(TableDifference(name, a, b, only_left, only_right))
        return differences
