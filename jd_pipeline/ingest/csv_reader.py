"""CSV reader: a landing CSV's rows into `_stage_all`.

DuckDB `read_csv` reads every column as VARCHAR with `store_rejects`, so malformed lines become
quarantine rows. Small files wait in the batch's StageBuffer and are read together, one
`read_csv` per header layout (`flush_csv`); a damaged file is re-read line by line (tolerant.py).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.csv_encoding import detect_encoding, transcoded, utf8_copy
from jd_pipeline.ingest.headers import column_labels, map_headers
from jd_pipeline.ingest.landing import LandingFile
from jd_pipeline.ingest.messages import FileRejected, safe_error
from jd_pipeline.ingest.scan import FIELD_MAX, ByteScan
from jd_pipeline.ingest.sql import lit
from jd_pipeline.ingest.stage_buffer import (
    VOID_FILE,
    StageBuffer,
    Staged,
    StageTarget,
    WaitingCsv,
    needs_salt,
    select_list,
)
from jd_pipeline.ingest.tolerant import LINE_MAX, split_file
from jd_pipeline.warehouse import fetch_value

log = logging.getLogger(__name__)
WITHHELD = "<withheld: source has personal data>"

# CSV files up to this size wait in the batch's StageBuffer and are read together, one `read_csv`
# per distinct header layout (planning the reading SELECT costs more than reading a small file).
GROUP_MAX_FILE_BYTES = 8 << 20
GROUP_MAX_BYTES = 128 << 20

# RE2 escapes (a NUL cannot be written in a SQL literal): the control bytes of scan.CONTROL_BYTES.
CONTROL_RE_SQL = "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]'"


def _csv_header(path: Path, where: str) -> tuple[list[str], str]:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise FileRejected(f"{where}: no header line")
    delim = "\t" if first.count("\t") > first.count(",") else ","
    return next(csv.reader(io.StringIO(first), delimiter=delim)), delim


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


def _csv_error(w: WaitingCsv, exc: BaseException | None) -> str:
    return f"{w.where}: CSV cannot be read: {safe_error(exc or 'unknown error')}"


def _interleaved_files(spans: dict[int, tuple[int, int, int]]) -> set[int]:
    """{file: (first rowid, last rowid, rows)} -> the files whose rows are not one unbroken rowid run."""
    return {f for f, (lo, hi, n) in spans.items() if hi - lo + 1 != n}


def _stage_csv_group(
    conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer, group: list[WaitingCsv]
) -> list[WaitingCsv]:
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
            staged = fetch_value(conn, sql, {"salt": buffer.salt or ""} if needs_salt(contract) else None)
        except duckdb.Error:
            buffer.created = created
            raise
        buffer.rows += staged
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
    conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer, w: WaitingCsv
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
    conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer, w: WaitingCsv
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
) -> WaitingCsv:
    labels = column_labels(contract, headers)
    flag = _flag_sql(labels, scan)
    return WaitingCsv(
        target,
        staged,
        path,
        temp,
        delim,
        len(headers),
        select_list(contract, staged.columns, flag),
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
    encoding = detect_encoding(lf.path, contract, where)
    buffer = target.buffer
    if lf.size <= GROUP_MAX_FILE_BYTES:
        path = lf.path if encoding == "utf-8" else transcoded(lf.path, encoding, where)
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


def flush_csv(conn: duckdb.DuckDBPyConnection, contract: Contract, buffer: StageBuffer) -> dict[int, str]:
    """Read the waiting CSV files into `_stage_all`, one `read_csv` per header layout; returns
    {batch index: error} of files that could not be read (a failed group is read file by file)."""
    waiting, buffer.waiting_csv, buffer.waiting_csv_bytes = buffer.waiting_csv, [], 0
    failed: dict[int, str] = {}
    try:
        groups: dict[tuple, list[WaitingCsv]] = {}
        for w in waiting:
            groups.setdefault((w.delim, w.ncols, w.select), []).append(w)
        for group in groups.values():
            try:
                redo = _stage_csv_group(conn, contract, buffer, group)
                if redo:
                    log.info(
                        "%d of %d CSV files read together were interleaved or damaged; reading them alone",
                        len(redo),
                        len(group),
                    )
            except duckdb.Error:
                if len(group) > 1:
                    log.warning("staging %d CSV files together failed; staging them one by one", len(group))
                redo = group if len(group) > 1 else [dataclasses.replace(group[0], tolerant=True)]
            for w in redo:
                try:
                    _stage_alone(conn, contract, buffer, w)
                except FileRejected as exc:
                    failed[w.target.index] = str(exc)
    finally:
        for w in waiting:
            if w.temp:
                w.path.unlink(missing_ok=True)
    return failed
