"""Readers: add one landing file's rows to the temp table `_stage_all` (all text, contract names).

- CSV: encoding decided from the bytes (BOM, UTF-8 validity, else GB18030 if the contract
  allows it); GB18030 is transcoded to a UTF-8 temp file as a stream, then DuckDB `read_csv`
  reads every column as VARCHAR with `store_rejects` so malformed lines become quarantine rows.
- Excel (`.xlsx`, `.xls`): python-calamine, first sheet, rows streamed into an Arrow table.

Personal data never reaches `_stage_all`: dropped columns are not selected, 下单帐号 is hashed and
客户地址 reduced to its province inside the same SELECT that reads the file.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from jd_pipeline.contracts import Column, Contract, header_has_percent, normalize_header
from jd_pipeline.ingest.landing import LandingFile
from jd_pipeline.ingest.messages import safe_error
from jd_pipeline.ingest.scan import FIELD_MAX, ByteScan
from jd_pipeline.ingest.sql import lit, pii_hash_expr, pii_province_expr, q
from jd_pipeline.ingest.tolerant import CONTROL_RE, LINE_MAX, split_file
from jd_pipeline.ingest.xlsx_cells import formulas_without_value

log = logging.getLogger(__name__)
CHUNK = 4 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
WITHHELD = "<withheld: source has personal data>"


class FileRejected(Exception):
    """The file cannot be read at all; the message names the file and the problem."""


@dataclass
class MappedColumn:
    column: Column
    header: str  # as written in the file
    index: int
    percent_header: bool


@dataclass
class Staged:
    """What `_stage` holds and how to number its rows."""

    columns: dict[str, MappedColumn]  # stored name -> mapping (absent optional columns missing)
    encoding: str
    notes: list[str] = field(default_factory=list)
    broken_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw)
    base: int = 0  # rowid in `_stage_all` of the file's first row


# Excel rows wait in Arrow (`StageBuffer`) until this many rows, then go to `_stage_all` in one insert.
BUFFER_MAX_ROWS = 200_000


@dataclass
class StageBuffer:
    """`_stage_all` of one batch: whether it exists, how many rows it holds (staged and waiting),
    and the Excel files' rows waiting in Arrow (one insert for many small workbooks instead of
    one per file). Personal columns wait as text in memory only, as before: they are hashed /
    reduced by the SELECT that writes `_stage_all` (`flush`)."""

    salt: str | None = None
    created: bool = False
    rows: int = 0
    waiting: list[tuple[int, pa.Table]] = field(default_factory=list)  # (batch index, rows)
    waiting_rows: int = 0
    waiting_csv: list[_WaitingCsv] = field(default_factory=list)
    waiting_csv_bytes: int = 0

    def head(self) -> str:
        head = "INSERT INTO _stage_all" if self.created else "CREATE OR REPLACE TEMP TABLE _stage_all AS"
        self.created = True
        return head

    def flush(self, conn: duckdb.DuckDBPyConnection, contract: Contract) -> dict[int, str]:
        """Write the waiting rows to `_stage_all`; returns {batch index: error} of files that
        could not be written (a failed group is retried file by file, the others are kept)."""
        failed = self._flush_excel(conn, contract)
        failed.update(self._flush_csv(conn, contract))
        return failed

    def discard(self) -> None:
        """Drop what still waits (after an error): delete the transcoded temp copies."""
        for w in self.waiting_csv:
            if w.temp:
                w.path.unlink(missing_ok=True)
        self.waiting, self.waiting_rows, self.waiting_csv, self.waiting_csv_bytes = [], 0, [], 0

    def _flush_csv(self, conn: duckdb.DuckDBPyConnection, contract: Contract) -> dict[int, str]:
        waiting, self.waiting_csv, self.waiting_csv_bytes = self.waiting_csv, [], 0
        failed: dict[int, str] = {}
        try:
            groups: dict[tuple, list[_WaitingCsv]] = {}
            for w in waiting:
                groups.setdefault((w.delim, w.ncols, w.select), []).append(w)
            for group in groups.values():
                try:
                    redo = _stage_csv_group(conn, contract, self, group)
                    if redo:
                        log.info(
                            "%d of %d CSV files read together were interleaved or damaged; reading them alone",
                            len(redo),
                            len(group),
                        )
                except duckdb.Error:
                    if len(group) > 1:
                        log.warning(
                            "staging %d CSV files together failed; staging them one by one", len(group)
                        )
                    redo = group if len(group) > 1 else [dataclasses.replace(group[0], tolerant=True)]
                for w in redo:
                    try:
                        _stage_alone(conn, contract, self, w)
                    except FileRejected as exc:
                        failed[w.target.index] = str(exc)
        finally:
            for w in waiting:
                if w.temp:
                    w.path.unlink(missing_ok=True)
        return failed

    def _flush_excel(self, conn: duckdb.DuckDBPyConnection, contract: Contract) -> dict[int, str]:
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
            select = "_file, _period, _pstart, _pend, CAST(_rn AS INTEGER) AS _rn, " + _select_list(
                contract, None
            )
            created = self.created
            sql = f"{self.head()} SELECT {select} FROM _src_arrow"
            try:
                conn.execute(sql, {"salt": self.salt or ""}) if _needs_salt(contract) else conn.execute(sql)
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

    def prefix(self, rn_sql: str) -> str:
        return (
            f"{self.index} AS _file, {lit(self.period)} AS _period, DATE '{self.pstart}' AS _pstart, "
            f"DATE '{self.pend}' AS _pend, CAST({rn_sql} AS INTEGER) AS _rn, "
        )


# ---------------------------------------------------------------- headers


def map_headers(
    contract: Contract, headers: list[Any], where: str
) -> tuple[dict[str, MappedColumn], list[str]]:
    """Match file headers to contract columns. Rejects a missing required header and a known
    header given twice (which copy holds the data is unknowable). The reasons never quote the
    file's line: without a recognisable header it may be a data row (personal data included)."""
    mapped: dict[str, MappedColumn] = {}
    seen: dict[str, int] = {}  # contract header -> 1-based column where it was first found
    notes: list[str] = []
    unknown: list[str] = []
    for i, raw in enumerate(headers):
        text = "" if raw is None else str(raw)
        norm = normalize_header(text)
        if not norm:
            continue
        col = next((c for c in contract.columns if c.matches(norm)), None)
        if col is None:
            unknown.append(text.strip())
            continue
        if col.header in seen:
            raise FileRejected(
                f"{where}: duplicate header {col.header} at columns {seen[col.header]} and {i + 1}"
            )
        seen[col.header] = i + 1
        if col.name is not None:
            mapped[col.name] = MappedColumn(col, text.strip(), i, header_has_percent(text))
    missing = [c.header for c in contract.required_columns if c.name not in mapped]
    if missing:
        raise FileRejected(
            f"{where}: missing required header(s) {', '.join(missing)} (header line has "
            f"{len(headers)} field(s), {len(seen)} of them contract headers)"
        )
    if unknown:
        notes.append(
            "ignored unknown header(s): "
            + ", ".join(_short(u) for u in unknown[:MAX_NOTED_HEADERS])
            + (f" and {len(unknown) - MAX_NOTED_HEADERS} more" if len(unknown) > MAX_NOTED_HEADERS else "")
        )
    return mapped, notes


MAX_NOTED_HEADERS = 10


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _select_list(contract: Contract, mapped: dict[str, MappedColumn] | None, flag: str = "_flag") -> str:
    """SELECT list building `_stage` from source columns c0..cN (personal data handled here);
    with `mapped` None, from columns already named by the contract (`StageBuffer`). `flag`: SQL
    of `_flag`, a row problem found while reading (control bytes, a formula without a value)."""
    parts = [f"{flag} AS _flag"]
    for col in contract.stored_columns:
        if mapped is None:
            ref: str | None = q(col.name)  # type: ignore[arg-type]
        else:
            m = mapped.get(col.name)  # type: ignore[arg-type]
            ref = None if m is None else f"c{m.index}"
        if ref is None:
            expr = "CAST(NULL AS VARCHAR)"
        elif col.pii == "hash":
            expr = pii_hash_expr(ref)
        elif col.pii == "province":
            expr = pii_province_expr(ref)
        else:
            expr = f"CAST({ref} AS VARCHAR)"
        parts.append(f"{expr} AS {q(col.name)}")  # type: ignore[arg-type]
    if mapped is None:
        parts += [q(c.name + "__pct") for c in contract.stored_columns if c.type == "percent"]  # type: ignore[operator]
    else:
        parts += [
            f"{'true' if (m := mapped.get(c.name)) and m.percent_header else 'false'} AS {q(c.name + '__pct')}"  # type: ignore[arg-type, operator]
            for c in contract.stored_columns
            if c.type == "percent"
        ]
    return ", ".join(parts)


# RE2 escapes (a NUL cannot be written in a SQL literal): the control bytes of scan.CONTROL_BYTES.
CONTROL_RE_SQL = "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]'"


def _column_labels(contract: Contract, headers: list[str]) -> list[str]:
    """A name per header field for messages: the contract header, else its position."""
    labels = []
    for i, h in enumerate(headers):
        col = next((c for c in contract.columns if c.matches(normalize_header(h))), None) if h else None
        labels.append(col.header if col is not None else f"column {i + 1}")
    return labels


def _flag_sql(labels: list[str], scan: ByteScan) -> str:
    """`_flag` of a CSV: NULL, or for a file holding control bytes / very long lines (the byte
    scan says so) the columns whose value has a control byte or is over FIELD_MAX bytes
    (personal ones included: their value is hashed or dropped, the row is still wrong)."""
    checks = []
    if scan.control:
        checks.append(
            (
                "control character (NUL or another byte below 0x20) in ",
                lambda c: f"regexp_matches({c}, {CONTROL_RE_SQL})",
            )
        )
    if scan.long_lines:
        checks.append((f"field over {FIELD_MAX:,} bytes in ", lambda c: f"strlen({c}) > {FIELD_MAX}"))
    if not checks:
        return "CAST(NULL AS VARCHAR)"
    parts = []
    for text, cond in checks:
        cases = ", ".join(
            f"CASE WHEN {cond(f'c{i}')} THEN {lit(label)} END" for i, label in enumerate(labels)
        )
        parts.append(f"nullif({lit(text)} || concat_ws(', ', {cases}), {lit(text)})")
    return f"nullif(concat_ws('; ', {', '.join(parts)}), '')"


def _needs_salt(contract: Contract) -> bool:
    return any(c.pii == "hash" for c in contract.stored_columns)


def _create_stage(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    target: StageTarget,
    select: str,
    source_sql: str,
    salt: str | None,
) -> int:
    """Create or extend `_stage_all` with the file's rows; returns the rowid of its first row."""
    buffer = target.buffer
    if buffer.waiting:  # the loader flushes waiting workbooks before staging a CSV (row order)
        raise RuntimeError("flush the waiting workbooks before staging a CSV file")
    base, created = buffer.rows, buffer.created
    sql = f"{buffer.head()} SELECT {select} FROM {source_sql}"
    params = {"salt": salt or ""} if _needs_salt(contract) else None
    try:
        result = conn.execute(sql, params) if params else conn.execute(sql)
    except duckdb.Error:
        buffer.created = created
        raise
    buffer.rows += result.fetchone()[0]  # type: ignore[index]
    return base


# ---------------------------------------------------------------- CSV


def _detect_encoding(path: Path, contract: Contract, where: str) -> str:
    """`utf-8` (DuckDB reads it as is, BOM or not) or `gb18030` (needs transcoding)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head:
        raise FileRejected(f"{where}: empty file (0 bytes)")
    if head.startswith((XLSX_MAGIC, XLS_MAGIC)):
        raise FileRejected(f"{where}: named .csv but is an Excel workbook")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejected(f"{where}: wrong encoding: UTF-16 (contract: {', '.join(contract.encodings)})")
    if head.startswith(codecs.BOM_UTF8):
        if "utf-8" not in contract.encodings:
            raise FileRejected(f"{where}: wrong encoding: UTF-8 (contract: {', '.join(contract.encodings)})")
        return "utf-8"
    if head.count(b"\x00") * 8 > len(
        head
    ):  # UTF-16 without BOM, or a binary file; a stray NUL is a row problem
        raise FileRejected(f"{where}: binary content, not a CSV text file")
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        is_utf8 = True
    except UnicodeDecodeError:
        is_utf8 = False
    if is_utf8 and ("utf-8" in contract.encodings or head.isascii()):
        return "utf-8" if "utf-8" in contract.encodings else contract.encodings[0]
    if "gb18030" in contract.encodings and not is_utf8:
        return "gb18030"
    found = "UTF-8" if is_utf8 else "not UTF-8 (GB18030/GBK?)"
    raise FileRejected(f"{where}: wrong encoding: {found}; contract: {', '.join(contract.encodings)}")


def _transcoded(path: Path, encoding: str, where: str) -> Path:
    """A streamed UTF-8 temp copy of the file (the caller deletes it)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fd, tmp = tempfile.mkstemp(prefix="jd_ingest_", suffix=".csv")
    offset = 0
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(CHUNK):
                try:
                    dst.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise FileRejected(
                        f"{where}: wrong encoding: invalid {encoding} bytes at byte {offset + exc.start}"
                    ) from None
                offset += len(chunk)
            try:
                dst.write(decoder.decode(b"", final=True).encode("utf-8"))
            except UnicodeDecodeError:  # truncated inside a character: that last line is malformed anyway
                dst.write("\ufffd".encode("utf-8"))
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


@contextmanager
def utf8_copy(path: Path, encoding: str, where: str) -> Iterator[Path]:
    """The file as UTF-8: itself, or a streamed transcoded temp copy (deleted afterwards)."""
    if encoding == "utf-8":
        yield path
        return
    tmp = _transcoded(path, encoding, where)
    try:
        yield tmp
    finally:
        os.unlink(tmp)


def _csv_header(path: Path, where: str) -> tuple[list[str], str]:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise FileRejected(f"{where}: no header line")
    delim = "\t" if first.count("\t") > first.count(",") else ","
    return next(csv.reader(io.StringIO(first), delimiter=delim)), delim


# CSV files up to this size wait in the batch's StageBuffer and are read together, one `read_csv`
# per distinct header layout (planning the reading SELECT costs more than reading a small file).
GROUP_MAX_FILE_BYTES = 8 << 20
GROUP_MAX_BYTES = 128 << 20
VOID_FILE = -1  # `_file` of staged rows given up on (an interleaved group read): never parsed


@dataclass
class _WaitingCsv:
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


def _csv_error(w: _WaitingCsv, exc: BaseException | None) -> str:
    return f"{w.where}: CSV cannot be read: {safe_error(exc or 'unknown error')}"


def _interleaved_files(spans: dict[int, tuple[int, int, int]]) -> set[int]:
    """{file: (first rowid, last rowid, rows)} -> the files whose rows are not one unbroken rowid run."""
    return {f for f, (lo, hi, n) in spans.items() if hi - lo + 1 != n}


def _stage_csv_group(
    conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer, group: list[_WaitingCsv]
) -> list[_WaitingCsv]:
    """ONE `read_csv` over the files of `group` (same delimiter, column count and mapping) into
    `_stage_all`; sets each file's `base` (rowid of its first row) and malformed lines. Returns
    the files DuckDB interleaved with others, to be read again alone (their rows are voided)."""
    first = group[0]
    paths = "[" + ", ".join(lit(str(w.path)) for w in group) + "]"
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(first.ncols)) + "}"
    at = "[_k]"
    prefix = (
        f"[{', '.join(str(w.target.index) for w in group)}]{at} AS _file, "
        f"[{', '.join(lit(w.target.period) for w in group)}]{at} AS _period, "
        f"[{', '.join(f'DATE {lit(str(w.target.pstart))}' for w in group)}]{at} AS _pstart, "
        f"[{', '.join(f'DATE {lit(str(w.target.pend))}' for w in group)}]{at} AS _pend, CAST(NULL AS INTEGER) AS _rn, "
    )
    source_sql = (
        f"(SELECT list_position({paths}, filename) AS _k, * FROM read_csv({paths}, header=true, auto_detect=false, "
        f"columns={columns}, delim={lit(first.delim)}, quote='\"', escape='\"', store_rejects=true, "
        f"rejects_table='_rej_errors', rejects_scan='_rej_scans', max_line_size={LINE_MAX}, filename=true))"
    )
    created = buffer.created
    sql = f"{buffer.head()} SELECT {prefix}{first.select} FROM {source_sql}"
    indexes = sorted({w.target.index for w in group})
    of_group = f"_file IN ({', '.join(map(str, indexes))})"
    try:
        try:
            result = (
                conn.execute(sql, {"salt": buffer.salt or ""}) if _needs_salt(contract) else conn.execute(sql)
            )
        except duckdb.Error:
            buffer.created = created
            raise
        buffer.rows += result.fetchone()[0]  # type: ignore[index]
        # Each file's rows are found by its batch index, never by "rowid >= rows staged before".
        spans = {
            f: (lo, hi, n)
            for f, lo, hi, n in conn.execute(
                f"SELECT _file, min(rowid), max(rowid), count(*) FROM _stage_all WHERE {of_group} GROUP BY _file"
            ).fetchall()
        }
        interleaved = _interleaved_files(spans)
        if interleaved:
            # DuckDB interleaved some files of the multi-file read (at --scale 1, 2 of 28 order
            # files): their rows are not one rowid run, so rowid - first rowid is not a row
            # number. Their rows are voided (VOID_FILE, never parsed) and the files read again
            # alone; the others keep their rows. Voided, not deleted: DuckDB compacts deleted rows
            # and renumbers the rowids after them, which shifted every later file's row numbers
            # (measured: negative row numbers, rows quarantined as duplicate keys).
            if len(group) == 1:
                conn.execute(f"UPDATE _stage_all SET _file = {VOID_FILE} WHERE {of_group}")
                raise duckdb.InvalidInputException("rows of the CSV read are not in file order")
            conn.execute(
                f"UPDATE _stage_all SET _file = {VOID_FILE} "
                f"WHERE _file IN ({', '.join(map(str, sorted(interleaved)))})"
            )
            for f in interleaved:
                spans.pop(f)
        broken: dict[str, list[tuple]] = {}
        # DuckDB reports a line with missing columns once per missing column (`Found: 2`, `3`...):
        # the first by column index is the line's real field count (the others are dropped).
        for path, *rest in conn.execute(
            "SELECT s.file_path, e.line, e.error_type, e.error_message, e.csv_line "
            "FROM _rej_errors e JOIN _rej_scans s USING (scan_id, file_id) "
            "ORDER BY s.file_path, e.line, e.column_idx NULLS FIRST, e.error_message"
        ).fetchall():
            broken.setdefault(path, []).append(tuple(rest))
    finally:
        conn.execute("DROP TABLE IF EXISTS _rej_errors; DROP TABLE IF EXISTS _rej_scans")
    redo = [w for w in group if w.target.index in interleaved]
    for w in group:
        if w.target.index in interleaved:
            continue  # its malformed lines are reported by its own read
        lo, _, n = spans.get(w.target.index, (buffer.rows, 0, 0))
        rows = broken.get(str(w.path), [])
        if 1 + n + len({r[0] for r in rows}) != w.lines:
            # Parsed rows + malformed lines do not add up to the physical lines: DuckDB joined
            # lines (an unbalanced quote swallowing the file, blank lines, a multi-line field).
            # Never loaded as is: the file is read again line by line.
            if w.tolerant:
                raise FileRejected(
                    f"{w.where}: the parsed rows ({n}) disagree with the file's "
                    f"{w.lines - 1} data line(s); not loaded"
                )
            conn.execute(f"UPDATE _stage_all SET _file = {VOID_FILE} WHERE _file = {w.target.index}")
            redo.append(dataclasses.replace(w, tolerant=True))
            continue
        w.staged.base = lo
        if rows:
            _number_broken_rows(conn, contract, w.staged, w.target, rows, n)
    return redo


def _stage_alone(
    conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer, w: _WaitingCsv
) -> None:
    """One CSV read alone; a file DuckDB cannot read, or whose rows do not add up to its lines
    (`tolerant` set), goes through the tolerant re-read."""
    if not w.tolerant:
        try:
            w = next(iter(_stage_csv_group(conn, contract, buffer, [w])), w)
        except duckdb.Error:
            w = dataclasses.replace(w, tolerant=True)
        if not w.tolerant:
            return
    _stage_tolerant(conn, contract, buffer, dataclasses.replace(w, tolerant=False))


def _stage_tolerant(
    conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer, w: _WaitingCsv
) -> None:
    """Stage a damaged CSV through the tolerant re-read (tolerant.py): its broken lines become
    quarantine rows with their line numbers, the rest loads. Raises FileRejected if even the
    clean copy does not parse into exactly its records."""
    if buffer.created:
        conn.execute(f"UPDATE _stage_all SET _file = {VOID_FILE} WHERE _file = {w.target.index}")
    withheld = WITHHELD if any(c.pii for c in contract.columns) else None
    fd, tmp = tempfile.mkstemp(prefix="jd_ingest_", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            split = split_file(w.path, w.delim, w.labels, out, withheld)
        clean = dataclasses.replace(w, path=Path(tmp), temp=False, lines=len(split.good) + 1, tolerant=True)
        clean.staged.broken_rows = []
        try:
            if _stage_csv_group(conn, contract, buffer, [clean]) or clean.staged.broken_rows:
                raise FileRejected(f"{w.where}: the line-by-line re-read did not parse cleanly; not loaded")
        except duckdb.Error as exc:
            raise FileRejected(_csv_error(w, exc)) from None
    finally:
        os.unlink(tmp)
    w.staged.broken_rows = split.broken
    if split.good:
        conn.register(
            "_rn_arrow",
            pa.table(
                {
                    "idx": pa.array(range(1, len(split.good) + 1), pa.int64()),
                    "rn": pa.array(split.good, pa.int64()),
                }
            ),
        )
        try:
            conn.execute(  # the clean copy's rows keep the line numbers of the original file
                f"UPDATE _stage_all SET _rn = m.rn FROM _rn_arrow m WHERE _stage_all._file = {w.target.index} "
                f"AND _stage_all.rowid - {w.staged.base} + 1 = m.idx"
            )
        finally:
            conn.unregister("_rn_arrow")
    log.info(
        "%s: read line by line (%d row(s), %d broken line(s))", w.where, len(split.good), len(split.broken)
    )


def _waiting(
    contract: Contract,
    target: StageTarget,
    staged: Staged,
    path: Path,
    temp: bool,
    headers: list[str],
    delim: str,
    where: str,
    scan: ByteScan,
) -> _WaitingCsv:
    labels = _column_labels(contract, headers)
    flag = _flag_sql(labels, scan)
    return _WaitingCsv(
        target,
        staged,
        path,
        temp,
        delim,
        len(headers),
        _select_list(contract, staged.columns, flag),
        where,
        scan.lines,
        labels,
    )


def stage_csv(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    lf: LandingFile,
    salt: str | None,
    target: StageTarget,
    scan: ByteScan,
) -> Staged:
    """A small file waits in the batch's StageBuffer (read with the others of its layout at the
    flush); a big one is read now."""
    where = lf.relpath
    if lf.size == 0:
        raise FileRejected(f"{where}: empty file (0 bytes)")
    encoding = _detect_encoding(lf.path, contract, where)
    buffer = target.buffer
    if lf.size <= GROUP_MAX_FILE_BYTES:
        path = lf.path if encoding == "utf-8" else _transcoded(lf.path, encoding, where)
        try:
            headers, delim = _csv_header(path, where)
            mapped, notes = map_headers(contract, headers, where)
        except FileRejected:
            if path != lf.path:
                path.unlink(missing_ok=True)
            raise
        staged = Staged(columns=mapped, encoding=encoding, notes=notes, base=-1)  # base: set at the flush
        buffer.waiting_csv.append(
            _waiting(contract, target, staged, path, path != lf.path, headers, delim, where, scan)
        )
        buffer.waiting_csv_bytes += lf.size
        return staged
    with utf8_copy(lf.path, encoding, where) as path:
        headers, delim = _csv_header(path, where)
        mapped, notes = map_headers(contract, headers, where)
        staged = Staged(columns=mapped, encoding=encoding, notes=notes)
        w = _waiting(contract, target, staged, path, False, headers, delim, where, scan)
        if buffer.waiting:  # the loader flushes waiting workbooks before staging a CSV (row order)
            raise RuntimeError("flush the waiting workbooks before staging a CSV file")
        _stage_alone(conn, contract, buffer, w)
    return staged


def _number_broken_rows(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    staged: Staged,
    target: StageTarget,
    rows: list[tuple],
    n_good: int,
) -> None:
    """Malformed lines (too few/many fields, bad quotes): quarantine rows, and the row numbering."""
    has_pii = any(c.pii for c in contract.columns)
    seen: set[int] = set()
    for line, etype, message, raw in rows:
        rn = int(line) - 1
        if rn in seen:
            continue
        seen.add(rn)
        reason = f"malformed CSV row ({etype}): {message}"
        staged.broken_rows.append((rn, reason, WITHHELD if has_pii else (raw or "").strip("\r\n")))
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rowmap AS
            SELECT CAST(row_number() OVER (ORDER BY rn) AS BIGINT) AS idx, rn
            FROM range(1, {n_good + len(seen) + 1}) t(rn)
            WHERE rn NOT IN ({", ".join(str(r) for r in sorted(seen))})"""
    )
    conn.execute(  # good rows' numbers skip the broken lines
        f"UPDATE _stage_all SET _rn = m.rn FROM _rowmap m "
        f"WHERE _stage_all._file = {target.index} AND _stage_all.rowid - {staged.base} + 1 = m.idx"
    )
    conn.execute("DROP TABLE _rowmap")


# ---------------------------------------------------------------- Excel


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = repr(value)
        # Small numbers in positional form (1e-05 is no number form of sources.md); big ones keep
        # their exponent: a 20-digit ID read as a number is an Excel-mangled ID.
        return format(Decimal(text), "f") if "e" in text and abs(value) < 1e16 else text
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds() / 86400)
    return str(value)


def _check_magic(lf: LandingFile, where: str) -> None:
    with lf.path.open("rb") as fh:
        head = fh.read(512)
    if not head:
        raise FileRejected(f"{where}: empty file (0 bytes)")
    if lf.kind == "xlsx" and not head.startswith(XLSX_MAGIC):
        looks = "CSV/text" if not head.startswith(XLS_MAGIC) else "an old .xls workbook"
        raise FileRejected(f"{where}: not an .xlsx workbook (content looks like {looks})")
    if lf.kind == "xls" and not head.startswith((XLS_MAGIC, XLSX_MAGIC)):
        looks = "HTML" if b"<" in head[:64] else "CSV/text"
        raise FileRejected(f"{where}: not an .xls workbook (content looks like {looks})")


def _header_row(contract: Contract, rows: list[list[Any]]) -> int:
    """Index of the header row among the first rows: the one matching most contract headers."""
    known = frozenset().union(*(c.normalized_headers for c in contract.columns))
    best, best_hits = 0, -1
    for i, row in enumerate(rows):
        hits = sum(1 for v in row if v is not None and normalize_header(str(v)) in known)
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def _first_visible_sheet(workbook: Any, where: str) -> str:
    """The first visible worksheet: a hidden first sheet often holds stale or helper data."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for meta in workbook.sheets_metadata:
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return str(meta.name)
    raise FileRejected(f"{where}: the workbook has no visible worksheet")


def _formula_flags(lf: LandingFile, sheet: str, where: str) -> dict[int, list[str]]:
    """{1-based sheet row: cells} of formulas without a cached value (.xlsx only: .xls always
    stores formula results)."""
    if lf.kind != "xlsx":
        return {}
    try:
        return formulas_without_value(lf.path, sheet)
    except Exception as exc:  # noqa: BLE001 - a broken part: calamine read it, the check cannot
        raise FileRejected(
            f"{where}: workbook XML cannot be checked for formulas: {safe_error(exc)}"
        ) from None


def _control_cells(texts: list[str | None], labels: list[str]) -> str:
    bad = [
        labels[i] if i < len(labels) else f"column {i + 1}"
        for i, t in enumerate(texts)
        if t is not None and CONTROL_RE.search(t)
    ]
    return f"control character (NUL or another byte below 0x20) in {', '.join(bad)}"


def stage_excel(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    lf: LandingFile,
    salt: str | None,
    target: StageTarget,
) -> Staged:
    from python_calamine import CalamineWorkbook

    where = lf.relpath
    _check_magic(lf, where)
    try:
        workbook = CalamineWorkbook.from_path(str(lf.path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise FileRejected(f"{where}: workbook cannot be read: {safe_error(exc)}") from None
    sheet_name = _first_visible_sheet(workbook, where)
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        rows_iter = iter(sheet.iter_rows())
        head = [row for _, row in zip(range(20), rows_iter)]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise FileRejected(f"{where}: workbook cannot be read: {safe_error(exc)}") from None
    if not any(_cell_text(v) for row in head for v in row):
        raise FileRejected(f"{where}: the first visible sheet is empty")
    h = _header_row(contract, head)
    mapped, notes = map_headers(contract, head[h], where)
    labels = _column_labels(contract, ["" if v is None else str(v) for v in head[h]])
    formulas = _formula_flags(lf, sheet_name, where)
    wanted = sorted({m.index for m in mapped.values()})
    data: dict[int, list[str | None]] = {i: [] for i in wanted}
    row_numbers: list[int] = []
    flags: list[str | None] = []
    rn = 0
    for row in (*head[h + 1 :], *rows_iter):
        rn += 1
        texts = [_cell_text(v) for v in row]
        if not any(t is not None and t.strip() for t in texts):
            continue  # blank rows (Excel trailing rows) are not data
        row_numbers.append(rn)
        flags.append(
            _control_cells(texts, labels) if CONTROL_RE.search("\t".join(t for t in texts if t)) else None
        )
        for i in wanted:
            data[i].append(texts[i] if i < len(texts) else None)
    n = len(row_numbers)
    if formulas:
        # calamine yields rows from sheet row 1 (leading empty rows included) unless its range
        # says otherwise: the sheet row of data row `rn` is h + rn + 1 + offset.
        offset = sheet.start[0] if h + 1 + rn == sheet.height else 0
        for k, r in enumerate(row_numbers):
            cells = formulas.get(h + r + 1 + offset)
            if cells:
                problem = "formula without a cached value in cell " + ", ".join(cells)
                flags[k] = problem if flags[k] is None else f"{flags[k]}; {problem}"
    columns: dict[str, pa.Array] = {
        "_file": pa.array([target.index] * n, pa.int32()),
        "_period": pa.array([target.period] * n, pa.string()),
        "_pstart": pa.array([target.pstart] * n, pa.date32()),
        "_pend": pa.array([target.pend] * n, pa.date32()),
        "_rn": pa.array(row_numbers, pa.int64()),
        "_flag": pa.array(flags, pa.string()),
    }
    for col in contract.stored_columns:
        m = mapped.get(col.name)  # type: ignore[arg-type]
        columns[col.name] = pa.array(data[m.index] if m else [None] * n, pa.string())  # type: ignore[index]
    for col in contract.stored_columns:
        if col.type == "percent":
            m = mapped.get(col.name)  # type: ignore[arg-type]
            columns[col.name + "__pct"] = pa.array([bool(m and m.percent_header)] * n, pa.bool_())  # type: ignore[operator]
    buffer = target.buffer
    base = buffer.rows
    buffer.waiting.append((target.index, pa.table(columns)))
    buffer.rows += n
    buffer.waiting_rows += n
    return Staged(columns=mapped, encoding=lf.kind, notes=notes, base=base)


def stage_file(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    lf: LandingFile,
    salt: str | None,
    target: StageTarget,
    scan: ByteScan,
) -> Staged:
    """Add one file's rows to `_stage_all` (all text, contract names), or raise FileRejected."""
    if lf.kind == "csv":
        return stage_csv(conn, contract, lf, salt, target, scan)
    return stage_excel(conn, contract, lf, salt, target)
