"""The contract-driven loader: landing files -> `raw.<source>` + ops tables, exactly once.

Per unit (source, brand, store, period): pick the newest readable delivery and stage it
(csv_reader.py, excel_reader.py); per batch of staged files: type + validate them in ONE SQL query (batch.py);
per file: one transaction replacing the unit's previous delivery. See docs/bad_inputs.md.
After the commits, the raw lake (JD_RAW_LAKE_URL, jd_pipeline/lake) follows `raw.<source>`.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.batch import (
    counts,
    drop_batch,
    insert_quarantine_batch,
    insert_rows_batch,
    insert_totals_batch,
    mark_duplicates,
    register_files,
    totals_batch,
    typed_sql,
)
from jd_pipeline.ingest.csv_reader import GROUP_MAX_BYTES, flush_csv, stage_csv
from jd_pipeline.ingest.excel_reader import stage_excel
from jd_pipeline.ingest.landing import (
    LandingFile,
    RefusedPath,
    business_today,
    newness,
    scan_landing,
    scan_refused,
    scan_unknown_folders,
)
from jd_pipeline.ingest.manifest import (
    ManifestRow,
    ensure_ops_tables,
    ensure_raw_table,
    insert_manifest,
    insert_manifest_rows,
    record_refused,
)
from jd_pipeline.ingest.messages import FileRejected, safe_error
from jd_pipeline.ingest.plausibility import ACCEPT_NOTE, held_reasons, low_day_reasons
from jd_pipeline.ingest.scan import scan_file
from jd_pipeline.ingest.sql import install_macros, q
from jd_pipeline.ingest.stage_buffer import BUFFER_MAX_ROWS, StageBuffer, Staged, StageTarget
from jd_pipeline.periods import period_bounds
from jd_pipeline.warehouse import fetch_value

if TYPE_CHECKING:
    from jd_pipeline.lake import LakeSyncResult

log = logging.getLogger(__name__)
# A batch (one parsing query) holds at most this many files / input bytes.
BATCH_MAX_FILES = 400
BATCH_MAX_BYTES = 512 << 20


@dataclass
class FileResult:
    path: str
    status: str  # loaded, replaced, duplicate, rejected, skipped (already in the manifest)
    load_id: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_total: int = 0
    reason: str | None = None


@dataclass
class LoadSummary:
    source: str
    files: list[FileResult] = field(default_factory=list)
    lake: LakeSyncResult | None = None  # the raw lake's sync after the load (None: lake off)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_loaded(self) -> int:
        return self._sum("rows_loaded")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    @property
    def rows_total(self) -> int:
        return self._sum("rows_total")

    def by_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def rejected(self) -> dict[str, str]:
        return {f.path: f.reason or "" for f in self.by_status("rejected")}


# ---------------------------------------------------------------- identity


def make_load_id(source: str, relpath: str, sha: str) -> str:
    """Deterministic: the same bytes at the same path always get the same load id."""
    return hashlib.sha256(f"{source}|{relpath}|{sha}".encode()).hexdigest()[:20]


def _unit(contract: Contract, lf: LandingFile) -> tuple[str, str | None, str, str | None]:
    return (lf.brand, lf.store, lf.period, lf.file_key if contract.replace == "file" else None)


# ---------------------------------------------------------------- per unit: which file to load


@dataclass
class _Current:
    load_id: str
    sha: str
    key: tuple[date, float, str]


@dataclass
class _Pending:
    """A staged file waiting for the batch query and its transaction."""

    index: int
    lf: LandingFile
    sha: str
    load_id: str
    current: list[_Current]
    staged: Staged
    accepted: bool = False  # held before, accepted by the operator: no plausibility check


def _current_loads(
    conn: duckdb.DuckDBPyConnection, contract: Contract, units: Iterable[tuple]
) -> dict[tuple, list[_Current]]:
    """Per unit: its loaded deliveries, each as new as the newest copy of its bytes seen
    (duplicates). ONE manifest query for all the units of a run: a run touches each unit once,
    so the manifest rows of a unit do not change before the unit is processed."""
    wanted = set(units)
    periods = sorted({u[2] for u in wanted})
    if not periods:
        return {}
    rows = conn.execute(
        """SELECT brand, store, period, file_key, load_id, sha256, status, pulled_on, delivered_at, path
           FROM ops.load_manifest
           WHERE source = ? AND period IN (SELECT unnest(?)) AND status IN ('loaded', 'duplicate')""",
        [contract.source, periods],
    ).fetchall()
    by_unit: dict[tuple, list[tuple]] = defaultdict(list)
    for brand, store, period, file_key, *rest in rows:
        unit = (brand, store, period, file_key if contract.replace == "file" else None)
        if unit in wanted:
            by_unit[unit].append(tuple(rest))
    out: dict[tuple, list[_Current]] = {}
    for unit, unit_rows in by_unit.items():
        keys: dict[str, tuple[date, float, str]] = {}
        for _, sha, _, pulled, ts, path in unit_rows:
            key = newness(pulled, ts.replace(tzinfo=UTC).timestamp(), path)
            keys[sha] = max(keys.get(sha, key), key)
        out[unit] = [
            _Current(lid, sha, keys[sha]) for lid, sha, status, *_ in unit_rows if status == "loaded"
        ]
    return out


def _loaded_shas_by_period(conn: duckdb.DuckDBPyConnection, contract: Contract) -> dict[tuple, set[str]]:
    rows = conn.execute(
        "SELECT brand, store, period, sha256 FROM ops.load_manifest WHERE source = ? AND status = 'loaded'",
        [contract.source],
    ).fetchall()
    out: dict[tuple, set[str]] = defaultdict(set)
    for brand, store, period, sha in rows:
        out[(brand, store, period)].add(sha)
    return dict(out)


@dataclass
class _Run:
    """State of one `load_files` call: load ids already in the manifest, and the manifest rows
    of files not loaded (duplicate, superseded, rejected) written together at the end."""

    seen_ids: set[str]
    deferred: list[ManifestRow] = field(default_factory=list)
    current: dict[tuple, list[_Current]] = field(default_factory=dict)  # unit -> its loaded deliveries
    # (brand, store, period) -> bytes loaded there under any name: for sources replaced per file
    # (plan versions), the same bytes under another name are a duplicate, not a new version.
    period_shas: dict[tuple, set[str]] = field(default_factory=dict)
    unstaged: dict[int, str] = field(default_factory=dict)  # batch index -> why its rows could not be staged
    accepted: set[str] = field(default_factory=set)  # load ids held before and accepted (plausibility.py)

    def flush(self, conn: duckdb.DuckDBPyConnection) -> None:
        insert_manifest_rows(conn, self.deferred)
        self.deferred = []


def _record(
    conn: duckdb.DuckDBPyConnection,
    lf: LandingFile,
    sha: str | None,
    load_id: str,
    status: str,
    run: _Run | None = None,
    **kw: object,
) -> FileResult:
    """A manifest row: now (inside the caller's transaction) or, with `run`, at the end of the run."""
    row = ManifestRow.for_file(lf, load_id, sha, status, **kw)
    if run is None:
        insert_manifest(conn, row)
    else:
        run.deferred.append(row)
    return FileResult(
        lf.relpath,
        status,
        load_id,
        row.rows_read,
        row.rows_loaded,
        row.rows_quarantined,
        row.rows_total,
        row.reason,
    )


def _seen_load_id(conn: duckdb.DuckDBPyConnection, run: _Run, load_id: str, lf: LandingFile) -> bool:
    """Same path, same bytes already in the manifest: refresh its fingerprint, do nothing else."""
    if load_id not in run.seen_ids:
        return False
    conn.execute("UPDATE ops.load_manifest SET fingerprint = ? WHERE load_id = ?", [lf.fingerprint, load_id])
    return True


def _pick_and_stage(
    conn: duckdb.DuckDBPyConnection,
    run: _Run,
    contract: Contract,
    files: list[LandingFile],
    salt: str | None,
    index: int,
    buffer: StageBuffer,
) -> tuple[list[FileResult], _Pending | None]:
    """Files of one (source, brand, store, period[, file]) unit, newest first: record the ones
    already seen, duplicates and superseded ones; stage the newest readable one (if it is newer
    than the loaded delivery) into `_stage_all`."""
    current = run.current.get(_unit(contract, files[0]), [])
    results: list[FileResult] = []
    pending: _Pending | None = None
    shas: set[str] = {c.sha for c in current}
    for lf in sorted(files, key=lambda f: newness(f.pulled_on, f.mtime, f.relpath), reverse=True):
        key = newness(lf.pulled_on, lf.mtime, lf.relpath)
        superseded = pending is not None or bool(current and max(c.key for c in current) > key)
        # A superseded delivery needs only its sha256 (identity, duplicates): its line count and
        # control bytes matter only to the one delivery staged (14 of 15 京准通 pulls a day).
        scan = scan_file(lf.path, text=lf.kind == "csv" and not superseded)
        sha = scan.sha256
        load_id = make_load_id(contract.source, lf.relpath, sha)
        if _seen_load_id(conn, run, load_id, lf):
            results.append(FileResult(lf.relpath, "skipped", load_id, reason="already in the manifest"))
        elif sha in shas or sha in run.period_shas.get((lf.brand, lf.store, lf.period), ()):
            results.append(
                _record(
                    conn,
                    lf,
                    sha,
                    load_id,
                    "duplicate",
                    run,
                    reason="same bytes as a delivery already seen for this period",
                )
            )
            current = [_Current(c.load_id, c.sha, max(c.key, key)) if c.sha == sha else c for c in current]
        elif superseded:
            results.append(
                _record(
                    conn,
                    lf,
                    sha,
                    load_id,
                    "replaced",
                    run,
                    reason="superseded: an equal or newer delivery for this period is loaded",
                )
            )
        else:
            try:
                pstart, pend = period_bounds(contract.period_kind, lf.period)
                if lf.kind == "csv" and buffer.waiting:  # keep `_stage_all` in staging order
                    _flush_buffer(conn, run, buffer, contract)
                target = StageTarget(index, lf.period, pstart, pend, buffer)
                staged = (
                    stage_csv(conn, contract, lf, salt, target, scan)
                    if lf.kind == "csv"
                    else stage_excel(conn, contract, lf, salt, target)
                )
                pending = _Pending(index, lf, sha, load_id, current, staged, load_id in run.accepted)
            except FileRejected as exc:
                results.append(_record(conn, lf, sha, load_id, "rejected", run, reason=str(exc)))
            except duckdb.Error as exc:  # a bad file never stops the others
                log.warning("staging %s failed: %s", lf.relpath, safe_error(exc))
                results.append(
                    _record(
                        conn,
                        lf,
                        sha,
                        load_id,
                        "rejected",
                        run,
                        reason=f"{lf.relpath}: cannot be read: {safe_error(exc)}",
                    )
                )
        shas.add(sha)
        if contract.replace == "file":
            run.period_shas.setdefault((lf.brand, lf.store, lf.period), set()).add(sha)
    return results, pending


# ---------------------------------------------------------------- per batch: parse once, commit per file


def _loaded_row(p: _Pending, file_counts: tuple[int, int, int], mismatches: int) -> ManifestRow:
    """The `loaded` manifest row of a committed file (rows_read = rows_loaded + rows_quarantined)."""
    detail, passing, totals = file_counts
    broken = len(p.staged.broken_rows)
    rows_read, rows_q = detail + broken, detail - passing + broken
    notes = (
        list(p.staged.notes)
        + (["no data rows"] if rows_read == 0 else [])
        + ([ACCEPT_NOTE] if p.accepted else [])
    )
    if mismatches:
        notes.append(f"{mismatches} total value(s) disagree with the detail rows (ops.file_totals)")
    return ManifestRow.for_file(
        p.lf,
        p.load_id,
        p.sha,
        "loaded",
        rows_read=rows_read,
        rows_loaded=passing,
        rows_quarantined=rows_q,
        rows_total=totals,
        reason="; ".join(notes) or None,
    )


def _commit_batch(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    pending: list[_Pending],
    per_file: dict[int, tuple[int, int, int]],
) -> list[FileResult]:
    """ONE transaction for every file of the batch, each write one set-based statement joining
    `_files`: delete the replaced units' rows, mark their manifest rows `replaced`, insert the
    rows, quarantine, totals and `loaded` manifest rows. A crash leaves the old rows of every
    unit of the batch (never a mix)."""
    register_files(conn, contract, [(p.index, p.load_id, p.lf) for p in pending])
    staged = {p.index: p.staged for p in pending}
    mismatches = totals_batch(conn, contract, staged)  # into temp `_totals`, outside the transaction
    rows = [_loaded_row(p, per_file.get(p.index, (0, 0, 0)), mismatches.get(p.index, 0)) for p in pending]
    old = [(c.load_id, p.index) for p in pending for c in p.current]
    conn.execute("BEGIN TRANSACTION")
    try:
        if old:
            import pyarrow as pa

            conn.register(
                "_old_arrow",
                pa.table(
                    {
                        "old_id": pa.array([o for o, _ in old], pa.string()),
                        "_file": pa.array([i for _, i in old], pa.int32()),
                    }
                ),
            )
            try:
                conn.execute(
                    "CREATE OR REPLACE TEMP TABLE _old AS SELECT o.old_id, f.* FROM _old_arrow o "
                    "JOIN _files f USING (_file)"
                )
            finally:
                conn.unregister("_old_arrow")
            if contract.replace == "period":
                conn.execute(
                    f"DELETE FROM raw.{q(contract.source)} r USING (SELECT DISTINCT brand, store, period FROM _old) u "
                    "WHERE r._brand = u.brand AND r._store IS NOT DISTINCT FROM u.store AND r._period = u.period"
                )
            else:
                conn.execute(
                    f"DELETE FROM raw.{q(contract.source)} WHERE _load_id IN (SELECT old_id FROM _old)"
                )
            conn.execute(
                "UPDATE ops.load_manifest SET status = 'replaced', replaced_by = o.load_id, "
                "reason = 'replaced by the newer delivery ' || o.relpath FROM _old o WHERE ops.load_manifest.load_id = o.old_id"
            )
        _supersede_held(conn, contract, pending)
        insert_rows_batch(conn, contract)
        insert_quarantine_batch(
            conn,
            contract,
            staged,
            {p.index: p.load_id for p in pending},
            {p.index: p.lf.relpath for p in pending},
        )
        insert_totals_batch(conn)
        _drop_accepted(conn, [p for p in pending if p.accepted])
        insert_manifest_rows(conn, rows)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("DROP TABLE IF EXISTS _old")
    return [
        FileResult(
            r.path,
            r.status,
            r.load_id,
            r.rows_read,
            r.rows_loaded,
            r.rows_quarantined,
            r.rows_total,
            r.reason,
        )
        for r in rows
    ]


def _supersede_held(conn: duckdb.DuckDBPyConnection, contract: Contract, committed: list[_Pending]) -> None:
    """A held delivery of a unit that now loads a newer delivery is `replaced`: the newer file
    settled the unit, so nothing is held there any more (the blocking check passes again)."""
    if not fetch_value(
        conn, "SELECT count(*) FROM ops.load_manifest WHERE source = ? AND status = 'held'", [contract.source]
    ):
        return
    units = [
        (
            p.load_id,
            p.lf.relpath,
            p.lf.brand,
            p.lf.store,
            p.lf.period,
            p.lf.file_key if contract.replace == "file" else None,
        )
        for p in committed
    ]
    for load_id, relpath, brand, store, period, file_key in units:
        conn.execute(
            "UPDATE ops.load_manifest SET status = 'replaced', replaced_by = ?, "
            "reason = 'superseded while held by the newer delivery ' || ? || ' (was: ' || reason || ')' "
            "WHERE source = ? AND status = 'held' AND brand = ? AND store IS NOT DISTINCT FROM ? AND period = ? "
            "AND (? IS NULL OR file_key = ?) AND load_id <> ?",
            [load_id, relpath, contract.source, brand, store, period, file_key, file_key, load_id],
        )


def _drop_accepted(conn: duckdb.DuckDBPyConnection, accepted: list[_Pending]) -> None:
    """The `accepted` manifest row of a file being loaded gives way to its `loaded` row (which
    notes the acceptance): one row per load id."""
    if accepted:
        conn.execute(
            "DELETE FROM ops.load_manifest WHERE status = 'accepted' AND load_id IN (SELECT unnest(?))",
            [[p.load_id for p in accepted]],
        )


def _hold_implausible(
    conn: duckdb.DuckDBPyConnection, contract: Contract, pending: list[_Pending]
) -> tuple[list[_Pending], list[FileResult]]:
    """Re-deliveries that shrink their period too much, and first deliveries of a near-empty day,
    are held (plausibility.py): recorded as `held`, not committed; the previous state stays live."""
    judged = [p for p in pending if not p.accepted]
    redelivered = [p for p in judged if p.current]
    held: dict[int, str] = {}
    if redelivered:
        ids = [c.load_id for p in redelivered for c in p.current]
        paths = dict(
            conn.execute(
                "SELECT load_id, path FROM ops.load_manifest WHERE load_id IN (SELECT unnest(?)) "
                "AND status = 'loaded'",
                [ids],
            ).fetchall()
        )
        held |= held_reasons(
            conn,
            contract,
            [
                (
                    p.index,
                    p.lf.relpath,
                    [paths.get(c.load_id, c.load_id) for c in p.current],
                    [c.load_id for c in p.current],
                )
                for p in redelivered
            ],
        )
    held |= low_day_reasons(
        conn,
        contract,
        [(p.index, p.lf.relpath, p.lf.brand, p.lf.store, p.lf.period) for p in judged if not p.current],
    )
    if not held:
        return pending, []
    results = [
        _record(conn, p.lf, p.sha, p.load_id, "held", reason=held[p.index])
        for p in pending
        if p.index in held
    ]
    for r in results:
        log.warning("%s", r.reason)
    return [p for p in pending if p.index not in held], results


def _commit_all(
    conn: duckdb.DuckDBPyConnection, contract: Contract, pending: list[_Pending]
) -> list[FileResult]:
    """`_typed` holds the files of `pending`: commit them in one batch transaction; if that
    fails, one by one (so one bad file cannot stop the others). Implausible re-deliveries are
    held first."""
    mark_duplicates(conn, contract)
    per_file = counts(conn)
    pending, held = _hold_implausible(conn, contract, pending)
    if pending:
        return held + _commit_some(conn, contract, pending, per_file)
    return held


def _commit_some(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    pending: list[_Pending],
    per_file: dict[int, tuple[int, int, int]],
) -> list[FileResult]:
    """Commit `pending` in one batch transaction, or file by file (each a batch of one) if that fails."""
    if pending:
        try:
            return _commit_batch(conn, contract, pending, per_file)
        except Exception as exc:  # noqa: BLE001 - logged (value-free); retried file by file
            log.warning(
                "batch commit of %d %s file(s) failed (%s); committing file by file",
                len(pending),
                contract.source,
                safe_error(exc),
            )
    results = []
    for p in pending:
        try:
            results += _commit_batch(conn, contract, [p], per_file)
        except Exception as exc:  # noqa: BLE001 - that file is rejected, the others continue
            log.warning("loading %s failed: %s", p.lf.relpath, safe_error(exc))
            results.append(
                _record(
                    conn,
                    p.lf,
                    p.sha,
                    p.load_id,
                    "rejected",
                    reason=f"{p.lf.relpath}: unexpected error: {safe_error(exc)}",
                )
            )
    return results


def _flush(conn: duckdb.DuckDBPyConnection, contract: Contract, pending: list[_Pending]) -> list[FileResult]:
    """Type and validate the staged batch in one query, then commit file by file. If the batch
    query fails, each file is retried alone so one bad file cannot stop the others."""
    if not pending:
        return []
    present = {n for p in pending for n in p.staged.columns}
    bases = [0] * (max(p.index for p in pending) + 1)  # by batch index (a file may have left the batch)
    for p in pending:
        bases[p.index] = p.staged.base
    results: list[FileResult] = []
    # Row numbers are already fixed in `_stage_all` (rowid order = file order, staged with
    # insertion order preserved): the parsing and the inserts may run out of order, in parallel.
    conn.execute("SET preserve_insertion_order = false")
    try:
        try:
            conn.execute(typed_sql(contract, present, bases))
        except duckdb.Error as exc:
            log.warning(
                "batch parse of %d %s file(s) failed (%s); retrying file by file",
                len(pending),
                contract.source,
                safe_error(exc),
            )
            for p in pending:
                try:
                    conn.execute(typed_sql(contract, set(p.staged.columns), bases, only_file=p.index))
                except duckdb.Error as exc:
                    results.append(
                        _record(
                            conn,
                            p.lf,
                            p.sha,
                            p.load_id,
                            "rejected",
                            reason=f"{p.lf.relpath}: cannot be parsed: {safe_error(exc)}",
                        )
                    )
                    continue
                results += _commit_all(conn, contract, [p])
            return results
        results += _commit_all(conn, contract, pending)
    finally:
        conn.execute("SET preserve_insertion_order = true")
        drop_batch(conn)
    return results


def _flush_buffer(
    conn: duckdb.DuckDBPyConnection, run: _Run, buffer: StageBuffer, contract: Contract
) -> None:
    """Write the batch's waiting workbook rows and CSV files to `_stage_all`; a file that cannot
    be written is rejected (`run.unstaged`), the others stay in the batch."""
    run.unstaged.update(buffer.flush_workbooks(conn, contract))
    run.unstaged.update(flush_csv(conn, contract, buffer))


def _load_units(
    conn: duckdb.DuckDBPyConnection,
    run: _Run,
    contract: Contract,
    units: list[list[LandingFile]],
    salt: str | None,
) -> list[FileResult]:
    results: list[FileResult] = []
    pending: list[_Pending] = []
    staged_bytes = 0
    buffer = StageBuffer(salt)

    def flush() -> list[FileResult]:
        _flush_buffer(conn, run, buffer, contract)
        out, keep = [], []
        for p in pending:
            if p.index in run.unstaged:
                out.append(
                    _record(
                        conn,
                        p.lf,
                        p.sha,
                        p.load_id,
                        "rejected",
                        run,
                        reason=f"{p.lf.relpath}: cannot be read: {run.unstaged[p.index]}",
                    )
                )
            else:
                keep.append(p)
        run.unstaged.clear()
        return out + _flush(conn, contract, keep)

    try:
        for files in units:
            unit_results, p = _pick_and_stage(conn, run, contract, files, salt, len(pending), buffer)
            results += unit_results
            if p is not None:
                pending.append(p)
                staged_bytes += p.lf.size
            if buffer.waiting_rows >= BUFFER_MAX_ROWS or buffer.waiting_csv_bytes >= GROUP_MAX_BYTES:
                _flush_buffer(conn, run, buffer, contract)
            if len(pending) >= BATCH_MAX_FILES or staged_bytes >= BATCH_MAX_BYTES:
                results += flush()
                pending, staged_bytes, buffer = [], 0, StageBuffer(salt)
        results += flush()
    finally:
        buffer.discard()  # transcoded temp copies never outlive the run
    return results


# ---------------------------------------------------------------- public entry points


def _prepared(conn: duckdb.DuckDBPyConnection, contract: Contract) -> bool:
    try:
        conn.execute(f"SELECT jd_numstr('1') FROM raw.{q(contract.source)} LIMIT 0")
    except duckdb.Error:
        return False
    return True


def prepare(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Macros (temp, this connection), ops tables and `raw.<source>`."""
    conn.execute("SET enable_progress_bar = false")  # no terminal progress bars in run logs
    install_macros(conn)
    ensure_ops_tables(conn)
    ensure_raw_table(conn, contract)


def load_files(
    conn: duckdb.DuckDBPyConnection, contract: Contract, files: Sequence[LandingFile], salt: str | None = None
) -> LoadSummary:
    """Load the given landing files of one source (any periods, any brands)."""
    source = contract.source
    if not _prepared(conn, contract):
        prepare(conn, contract)
    if salt is None and any(c.pii == "hash" for c in contract.columns):
        from jd_pipeline.config import buyer_salt

        salt = buyer_salt()
    units: dict[tuple, list[LandingFile]] = defaultdict(list)
    for lf in files:
        if lf.source != source:
            raise ValueError(f"{lf.relpath} is not a {source} file")
        units[_unit(contract, lf)].append(lf)
    summary = LoadSummary(source)
    seen = _seen_paths(conn, source)
    todo_units = []
    for unit in sorted(units, key=lambda u: tuple("" if v is None else v for v in u)):
        todo = [f for f in units[unit] if (f.relpath, f.fingerprint) not in seen]
        summary.files += [
            FileResult(f.relpath, "skipped", reason="already in the manifest")
            for f in units[unit]
            if (f.relpath, f.fingerprint) in seen
        ]
        if todo:
            todo_units.append(todo)
    run = _Run(
        seen_ids={
            r[0]
            for r in conn.execute(
                "SELECT load_id FROM ops.load_manifest WHERE source = ? AND status <> 'accepted'", [source]
            ).fetchall()
        },
        accepted={
            r[0]
            for r in conn.execute(
                "SELECT load_id FROM ops.load_manifest WHERE source = ? AND status = 'accepted'", [source]
            ).fetchall()
        },
    )
    run.current = _current_loads(conn, contract, (_unit(contract, todo[0]) for todo in todo_units))
    if contract.replace == "file":
        run.period_shas = _loaded_shas_by_period(conn, contract)
    try:
        summary.files += _load_units(conn, run, contract, todo_units, salt)
    finally:
        run.flush(conn)
    # After the commits: a lake that cannot be written never costs the warehouse its rows. The
    # sync compares raw with ops.lake_units, so it also retries whatever an earlier sync left.
    from jd_pipeline.lake import sync_lake

    summary.lake = sync_lake(conn, contract)
    return summary


def _seen_paths(conn: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    return {
        (p, f)
        for p, f in conn.execute(
            "SELECT path, fingerprint FROM ops.load_manifest WHERE source = ?", [source]
        ).fetchall()
    }


def _as_bounds(value: str | date, kind_end: bool) -> date:
    if isinstance(value, date):
        return value
    text = str(value)
    kind = (
        "daily"
        if len(text) == 10
        else "quarterly"
        if "Q" in text.upper()
        else "monthly"
        if len(text) == 7
        else "yearly"
    )
    lo, hi = period_bounds(kind, text.upper())
    return hi if kind_end else lo


def files_in_range(
    files: Iterable[LandingFile], contract: Contract, start: str | date, end: str | date
) -> list[LandingFile]:
    """Files whose period starts within [start, end] (dates or period labels, inclusive)."""
    lo, hi = _as_bounds(start, False), _as_bounds(end, True)
    return [f for f in files if lo <= period_bounds(contract.period_kind, f.period)[0] <= hi]


def load_partition_range(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    start: str | date,
    end: str | date,
    landing_dir: Path | str,
    salt: str | None = None,
) -> LoadSummary:
    """Load every brand's files of `source` whose period falls in [start, end] (inclusive).

    `start`/`end`: dates or period labels (`2026-03-01`, `2026-03`, `2026Q1`, `2026`). Refused
    paths under the source's folder are recorded in the manifest (once) as `rejected`.
    """
    source = contract.source
    prepare(conn, contract)
    scanned = scan_landing(landing_dir, source)
    record_refused(
        conn,
        [
            *scan_unknown_folders(landing_dir),
            *scan_refused(landing_dir, source),
            *out_of_range(contract, scanned),
        ],
    )
    files = files_in_range(scanned, contract, start, end)
    return load_files(conn, contract, files, salt)


def out_of_range(contract: Contract, files: Iterable[LandingFile]) -> list[RefusedPath]:
    """Files whose period no partition covers (before JD_PARTITIONS_START, or starting after
    today): no run ever loads them, so they are recorded as rejected (once) and shown by
    `jd-pipeline status` instead of being skipped silently."""
    from jd_pipeline.config import get_settings

    first = date.fromisoformat(get_settings().partitions_start)
    today = business_today()
    out = []
    for lf in files:
        start, end = period_bounds(contract.period_kind, lf.period)
        if end < first or start > today:
            when = "before JD_PARTITIONS_START " + str(first) if end < first else "in the future"
            out.append(
                RefusedPath(
                    lf.relpath,
                    lf.source,
                    f"{lf.relpath}: period {lf.period} is {when}: never loaded (out of range)",
                )
            )
    return out
