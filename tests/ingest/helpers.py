"""Helpers of the ingest tests (the fixture files themselves: tests/extract_files.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

SALT = "test-salt"


def set_mtime(path: Path, epoch: float) -> None:
    os.utime(path, (epoch, epoch))


def table_checksum(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Order-independent checksum of every column of a table."""
    return conn.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchone()  # type: ignore[return-value]


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    return conn.execute(sql, list(params)).fetchall()
