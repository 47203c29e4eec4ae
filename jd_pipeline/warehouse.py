"""Queries every module that reads the DuckDB warehouse shares: one row, one value, does a table
exist, and a transaction that rolls back on any error.

DuckDB's `fetchone()` is typed `tuple | None`; an aggregate always returns a row, so a missing one
is a bug worth an error that names the query rather than a `TypeError` on `None[0]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

Params = list[Any] | dict[str, Any] | None


def fetch_row(conn: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> tuple[Any, ...]:
    """The first row of `sql`; an error naming the query when it returns none."""
    row = conn.execute(sql, params or []).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {' '.join(sql.split())[:200]}")
    return row


def fetch_value(conn: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> Any:
    """The first column of the first row of `sql` (e.g. a count or a max)."""
    return fetch_row(conn, sql, params)[0]


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether `schema.name` is a table or view of the connected database."""
    return bool(
        fetch_value(
            conn,
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        )
    )


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """`begin` ... `commit`, or `rollback` and re-raise: readers see all of the block or none."""
    conn.execute("begin transaction")
    try:
        yield conn
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")
