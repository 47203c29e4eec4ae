"""Hand-made fixture writers for ingest tests (never the demo generator)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

SALT = "test-salt"


def write_csv(
    landing: Path,
    relpath: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoding: str = "gb18030",
    bom: bool = False,
    newline: str = "\r\n",
    tail: str = "",
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = (buf.getvalue() + tail).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return write_bytes(landing, relpath, data)


def write_bytes(landing: Path, relpath: str, data: bytes) -> Path:
    path = landing / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_xlsx(
    landing: Path,
    relpath: str,
    headers: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    preamble: Sequence[Sequence[Any]] = (),
) -> Path:
    import openpyxl

    path = landing / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (*preamble, headers, *rows):
        ws.append(list(r))
    wb.save(path)
    return path


def set_mtime(path: Path, epoch: float) -> None:
    os.utime(path, (epoch, epoch))


def table_checksum(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Order-independent checksum of every column of a table."""
    return conn.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchone()  # type: ignore[return-value]


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    return conn.execute(sql, list(params)).fetchall()
