"""`_stage_all`, the temp table a batch's files are staged into (all text, contract names).

Personal data never reaches `_stage_all`: dropped columns are not selected, 下单帐号 is hashed and
客户地址 reduced to its province inside the same SELECT that writes it (`select_list`).
`StageBuffer` tracks the table of one batch and the files waiting to be written to it: Excel
rows in Arrow, small CSV files to be read together (csv_reader.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.headers import MappedColumn
from jd_pipeline.ingest.messages import safe_error
from jd_pipeline.ingest.sql import pii_hash_expr, pii_province_expr, q

log = logging.getLogger(__name__)

# Excel rows wait in Arrow (`StageBuffer`) until this many rows, then go to `_stage_all` in one insert.
BUFFER_MAX_ROWS = 200_000
VOID_FILE = -1  # `_file` of staged rows given up on (an interleaved group read): never parsed


@dataclass
class Staged:
    """What `_stage` holds and how to number its rows."""

    columns: dict[str, MappedColumn]  # stored name -> mapping (absent optional columns missing)
    encoding: str
    notes: list[str] = field(default_factory=list)
    broken_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw)
    base: int = 0  # rowid in `_stage_all` of the file's first row


@dataclass
class StageBuffer:
    """`_stage_all` of one batch: whether it exists, how many rows it holds (staged and waiting),
    and the Excel files' rows waiting in Arrow (one insert for many small workbooks instead of
    one per file). Personal columns wait as text in memory only, as before: they are hashed /
    reduced by the SELECT that writes `_stage_all` (`flush_workbooks`)."""

    salt: str | None = None
    created: bool = False
    rows: int = 0
    waiting: list[tuple[int, pa.Table]] = field(default_factory=list)  # (batch index, rows)
    waiting_rows: int = 0
    waiting_csv: list[WaitingCsv] = field(default_factory=list)
    waiting_csv_bytes: int = 0

    def head(self) -> str:
        head = "INSERT INTO _stage_all" if self.created else "CREATE OR REPLACE TEMP TABLE _stage_all AS"
        self.created = True
        return head

    def discard(self) -> None:
        """Drop what still waits (after an error): delete the transcoded temp copies."""
        for w in self.waiting_csv:
            if w.temp:
                w.path.unlink(missing_ok=True)
        self.waiting, self.waiting_rows, self.waiting_csv, self.waiting_csv_bytes = [], 0, [], 0

    def flush_workbooks(self, conn: duckdb.DuckDBPyConnection, contract: Contract) -> dict[int, str]:
        """Write the waiting workbooks' rows to `_stage_all`; returns {batch index: error} of
        files that could not be written (a failed insert is retried file by file)."""
        waiting, self.waiting, self.waiting_rows = self.waiting, [], 0
        if not waiting:
            return {}
        try:
            self._insert(conn, contract, pa.concat_tables([t for _, t in waiting]))
            return {}
        except duckdb.Error as exc:
            log.warning(
                "staging %d waiting workbook(s) failed (%s); retrying one by one",
                len(waiting),
                safe_error(exc),
            )
        failed: dict[int, str] = {}
        for index, table in waiting:  # the insert is all or nothing: retry each file alone
            try:
                self._insert(conn, contract, table)
            except duckdb.Error as exc:
                failed[index] = safe_error(exc)
                self.rows -= table.num_rows
        return failed

    def _insert(self, conn: duckdb.DuckDBPyConnection, contract: Contract, table: pa.Table) -> None:
        conn.register("_src_arrow", table)
        try:
            select = "_file, _period, _pstart, _pend, CAST(_rn AS INTEGER) AS _rn, " + select_list(
                contract, None
            )
            created = self.created
            sql = f"{self.head()} SELECT {select} FROM _src_arrow"
            try:
                conn.execute(sql, {"salt": self.salt or ""}) if needs_salt(contract) else conn.execute(sql)
            except duckdb.Error:
                self.created = created
                raise
        finally:
            conn.unregister("_src_arrow")


@dataclass(frozen=True)
class StageTarget:
    """Where a file's rows go in `_stage_all`: its batch index and folder period."""

    index: int
    period: str
    pstart: dt.date
    pend: dt.date
    buffer: StageBuffer  # the batch's `_stage_all`


@dataclass
class WaitingCsv:
    target: StageTarget
    staged: Staged
    path: Path  # UTF-8 (the file itself, or a transcoded temp copy deleted after the read)
    temp: bool
    delim: str
    ncols: int
    select: str  # the reading SELECT list (depends on the header mapping)
    where: str
    lines: int  # physical lines of the file (header included): what the parsed rows must add up to
    labels: list[str]  # a name per header field (messages of the tolerant re-read)
    tolerant: bool = False  # the clean copy written by the tolerant re-read


def select_list(contract: Contract, mapped: dict[str, MappedColumn] | None, flag: str = "_flag") -> str:
    """SELECT list building `_stage` from source columns c0..cN (personal data handled here);
    with `mapped` None, from columns already named by the contract (`StageBuffer`). `flag`: SQL
    of `_flag`, a row problem found while reading (control bytes, a formula without a value)."""
    parts = [f"{flag} AS _flag"]
    for col in contract.stored_columns:
        if mapped is None:
            ref: str | None = q(col.stored_name)
        else:
            m = mapped.get(col.stored_name)
            ref = None if m is None else f"c{m.index}"
        if ref is None:
            expr = "CAST(NULL AS VARCHAR)"
        elif col.pii == "hash":
            expr = pii_hash_expr(ref)
        elif col.pii == "province":
            expr = pii_province_expr(ref)
        else:
            expr = f"CAST({ref} AS VARCHAR)"
        parts.append(f"{expr} AS {q(col.stored_name)}")
    if mapped is None:
        parts += [q(c.stored_name + "__pct") for c in contract.stored_columns if c.type == "percent"]
    else:
        parts += [
            f"{'true' if (m := mapped.get(c.stored_name)) and m.percent_header else 'false'} AS {q(c.stored_name + '__pct')}"
            for c in contract.stored_columns
            if c.type == "percent"
        ]
    return ", ".join(parts)


def needs_salt(contract: Contract) -> bool:
    return any(c.pii == "hash" for c in contract.stored_columns)
