"""Hand-made raw tables for the dbt tests, shaped exactly per docs/ARCHITECTURE.md (Raw table convention)."""
from __future__ import annotations

import duckdb
from raw_schema import META, SRC


def create_raw_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    for name, (_desc, cols) in SRC.items():
        ddl = ", ".join(f'"{c}" {t}' for c, t, _ in META + cols)
        conn.execute(f"create or replace table raw.{name} ({ddl})")


def insert(conn: duckdb.DuckDBPyConnection, source: str, brand: str, store, period: str, rows: list[dict]) -> None:
    """Append rows (dicts of contract column → value) with the metadata columns filled in."""
    cols = [c for c, _, _ in META + SRC[source][1]]
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(cols)
        assert not unknown, f"{source}: unknown columns {unknown}"
        values = {"_load_id": f"{source}-{brand}-{store}-{period}", "_brand": brand, "_store": store,
                  "_period": period, "_row_number": i, **row}
        names = list(values)
        conn.execute(
            f"insert into raw.{source} ({', '.join(chr(34) + n + chr(34) for n in names)}) "
            f"values ({', '.join('?' for _ in names)})",
            [values[n] for n in names],
        )
