"""Hand-made raw tables for the dbt tests, created by the loader's own DDL (the contract YAMLs)."""

from __future__ import annotations

import duckdb

from jd_pipeline.ingest.manifest import ensure_warehouse_tables


def create_raw_tables(conn: duckdb.DuckDBPyConnection) -> None:
    ensure_warehouse_tables(conn)


def _raw_columns(conn: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
            "order by ordinal_position",
            [source],
        ).fetchall()
    ]


def insert(
    conn: duckdb.DuckDBPyConnection, source: str, brand: str, store, period: str, rows: list[dict]
) -> None:
    """Append rows (dicts of contract column → value) with the metadata columns filled in."""
    cols = _raw_columns(conn, source)
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(cols)
        assert not unknown, f"{source}: unknown columns {unknown}"
        values = {
            "_load_id": f"{source}-{brand}-{store}-{period}",
            "_brand": brand,
            "_store": store,
            "_period": period,
            "_row_number": i,
            **row,
        }
        names = list(values)
        conn.execute(
            f"insert into raw.{source} ({', '.join(chr(34) + n + chr(34) for n in names)}) "
            f"values ({', '.join('?' for _ in names)})",
            [values[n] for n in names],
        )
