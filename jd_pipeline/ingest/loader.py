"""The contract-driven loader: landing files -> `raw.<source>` + ops tables, exactly once.

Per file: stage (readers.py) -> typed + validated in one SQL pass (`_typed`) -> duplicates ->
totals -> one transaction replacing the unit's previous delivery. See docs/bad_inputs.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path

import duckdb

from jd_pipeline.contracts import Contract, get_contract
from jd_pipeline.ingest.landing import (
    LandingFile,
    newness,
    period_bounds,
    scan_landing,
    scan_refused,
    scan_unknown_folders,
)
from jd_pipeline.ingest.manifest import (
    ManifestRow,
    ensure_ops_tables,
    ensure_raw_table,
    insert_manifest,
    record_refused,
)
from jd_pipeline.ingest.readers import FileRejected, Staged, stage_file
from jd_pipeline.ingest.sql import (
    install_macros,
    lit,
    parse_expr,
    period_label_expr,
    problem_exprs,
    q,
)

log = logging.getLogger(__name__)
# Columns a total row is checked on: counts and money (decimals such as 预计可售天数 are not additive).
ADDITIVE_TYPES = ("int", "money")


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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(4 << 20):
            h.update(chunk)
    return h.hexdigest()


def make_load_id(source: str, relpath: str, sha: str) -> str:
    """Deterministic: the same bytes at the same path always get the same load id."""
    return hashlib.sha256(f"{source}|{relpath}|{sha}".encode()).hexdigest()[:20]


def _unit(contract: Contract, lf: LandingFile) -> tuple[str, str | None, str, str | None]:
    return (lf.brand, lf.store, lf.period, lf.file_key if contract.replace == "file" else None)


# ---------------------------------------------------------------- typed SQL


def _levels(contract: Contract, staged: Staged) -> list[tuple[int, str, str]]:
    """(1-based level, name, header) of the total-row levels present in the file."""
    return [(i, n, staged.columns[n].header) for i, n in enumerate(contract.total_levels, 1) if n in staged.columns]


def _c(name: str) -> str:
    """The cleaned-text column of a contract column in the typed query's lower layers."""
    return q(name + "__c")


def _total_sql(contract: Contract, staged: Staged) -> tuple[str, str]:
    """(`_total_level` expr, `_total_label` expr) from the cleaned text of the level columns."""
    markers = ", ".join(lit(m) for m in contract.total_markers)
    levels = _levels(contract, staged)
    if not levels:
        return "CAST(NULL AS INTEGER)", "CAST(NULL AS VARCHAR)"
    level_cases, label_cases = [], []
    for k, name, header in levels:
        cond = f"{_c(name)} IN ({markers})"
        context = [f"{lit(h + '=')} || {_c(n)}" for j, n, h in levels if j < k]
        ctx = f" || coalesce(' (' || nullif(concat_ws(', ', {', '.join(context)}), '') || ')', '')" if context else ""
        level_cases.append(f"WHEN {cond} THEN {k}")
        label_cases.append(f"WHEN {cond} THEN {lit(header + '=')} || {_c(name)}{ctx}")
    return f"CASE {' '.join(level_cases)} END", f"CASE {' '.join(label_cases)} END"


def typed_sql(contract: Contract, staged: Staged, period: str) -> str:
    """`_typed`: typed columns, total-row flags and each row's problems, in one pass over `_stage`.

    Layers: raw text (`x__v`) and, for text and total-level columns, cleaned text (`x__c`) ->
    typed values (`x__t`, DuckDB casts first, string clean-up only where a cast fails) -> output
    columns, `_total_level`, `_total_label` and `_reason`.
    """
    present = [c for c in contract.stored_columns if c.name in staged.columns]
    needs_clean = {c.name for c in present if c.type == "text" and not c.pii} | set(contract.total_levels)
    base = [f"s.{q(c.name)} AS {q(c.name + '__v')}" for c in present]  # type: ignore[operator]
    base += [f"jd_trim(s.{q(c.name)}) AS {_c(c.name)}" for c in present if c.name in needs_clean]  # type: ignore[arg-type]
    cleaned = [f"jd_null({_c(c.name)}) AS {_c(c.name)}" for c in present if c.name in needs_clean]  # type: ignore[arg-type]
    typed, problems, outputs = [], [], []
    for col in contract.stored_columns:
        name: str = col.name  # type: ignore[assignment]
        m = staged.columns.get(name)
        t = q(name + "__t")
        if m is None:
            outputs.append(f"CAST(NULL AS {col.sql_type}) AS {q(name)}")
        else:
            v, x = q(name + "__v"), _c(name)
            typed.append(f"{v if col.pii else parse_expr(col, v, x, m.percent_header)} AS {t}")
            outputs.append(f"{t} AS {q(name)}")
            if not col.pii:
                problems += problem_exprs(contract, col, v, x, t, m.header)
            if name == contract.period_column:
                problems.append(
                    f"CASE WHEN {t} IS NOT NULL AND {period_label_expr(contract, t)} <> {lit(period)} THEN "
                    f"{lit(m.header + ': ')} || CAST({t} AS VARCHAR) || {lit(' outside the folder period ' + period)} END"
                )
        for d in (d for d in contract.derived if d.source_column == name):
            if m is None:
                outputs.append(f"CAST(NULL AS {d.sql_type}) AS {q(d.name)}")
            else:
                typed.append(f"{d.fn}({_c(name)}) AS {q(d.name + '__t')}")
                outputs.append(f"{q(d.name + '__t')} AS {q(d.name)}")
    level, label = _total_sql(contract, staged)
    reason = f"nullif(concat_ws('; ', {', '.join(problems)}), '')" if problems else "CAST(NULL AS VARCHAR)"
    layer1 = (f"SELECT CAST({staged.row_number_sql} AS INTEGER) AS _row_number, s.rowid AS _sidx, "
              f"{', '.join(['NULL AS _none', *base])} FROM _stage s {staged.join_sql}")
    layer1b = f"SELECT * REPLACE ({', '.join(cleaned)}) FROM ({layer1})" if cleaned else layer1
    layer2 = f"SELECT {', '.join(['*', *typed])} FROM ({layer1b})"
    return (
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _row_number, _sidx, {', '.join(outputs)}, "
        f"{level} AS _total_level, {label} AS _total_label, {reason} AS _reason FROM ({layer2})"
    )


def _mark_duplicates(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Keep the first row of a grain key within the file; later ones are quarantined."""
    key = ", ".join(q(k) for k in contract.grain)
    ok = "_reason IS NULL AND _total_level IS NULL"
    dupes = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM _typed WHERE {ok} GROUP BY {key} HAVING count(*) > 1)"
    ).fetchone()[0]  # type: ignore[index]
    if not dupes:
        return
    key_text = " || ', ' || ".join(f"{lit(k + '=')} || coalesce(CAST({q(k)} AS VARCHAR), '')" for k in contract.grain)
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _typed AS
            SELECT * EXCLUDE (_first) REPLACE (
                CASE WHEN {ok} AND _first <> _row_number
                     THEN 'duplicate key (' || {key_text} || ') of row ' || _first ELSE _reason END AS _reason)
            FROM (SELECT *, min(_row_number) OVER (PARTITION BY ({ok}), {key}) AS _first FROM _typed)"""
    )


def _counts(conn: duckdb.DuckDBPyConnection, staged: Staged) -> tuple[int, int, int, int]:
    """(rows_read, rows_loaded, rows_quarantined, rows_total) of the file."""
    detail, loaded, totals = conn.execute(
        """SELECT count(*) FILTER (WHERE _total_level IS NULL),
                  count(*) FILTER (WHERE _total_level IS NULL AND _reason IS NULL),
                  count(*) FILTER (WHERE _total_level IS NOT NULL) FROM _typed"""
    ).fetchone()  # type: ignore[misc]
    broken = len(staged.broken_rows)
    return detail + broken, loaded, detail - loaded + broken, totals


# ---------------------------------------------------------------- writes (inside the transaction)


def _insert_rows(conn: duckdb.DuckDBPyConnection, contract: Contract, lf: LandingFile, load_id: str) -> None:
    cols = ", ".join(q(n) for n, _ in contract.output_columns())
    conn.execute(
        f"INSERT INTO raw.{q(contract.source)} SELECT {lit(load_id)}, {lit(lf.brand)}, {lit(lf.store)}, "
        f"{lit(lf.period)}, _row_number, {cols} FROM _typed WHERE _reason IS NULL AND _total_level IS NULL"
    )


def _insert_quarantine(conn: duckdb.DuckDBPyConnection, contract: Contract, staged: Staged,
                       lf: LandingFile, load_id: str) -> None:
    pairs = ", ".join(f"{lit(m.header)}, s.{q(name)}" for name, m in staged.columns.items())
    conn.execute(
        f"""INSERT INTO ops.quarantine_rows
            SELECT {lit(load_id)}, {lit(contract.source)}, {lit(lf.relpath)}, t._row_number, t._reason,
                   json_object({pairs}), now()
            FROM _typed t JOIN _stage s ON s.rowid = t._sidx
            WHERE t._reason IS NOT NULL AND t._total_level IS NULL"""
    )
    if staged.broken_rows:
        conn.executemany(
            "INSERT INTO ops.quarantine_rows VALUES (?, ?, ?, ?, ?, ?, now())",
            [[load_id, contract.source, lf.relpath, rn, reason, json.dumps({"_raw_line": raw}, ensure_ascii=False)]
             for rn, reason, raw in staged.broken_rows],
        )


def _insert_totals(conn: duckdb.DuckDBPyConnection, contract: Contract, staged: Staged,
                   lf: LandingFile, load_id: str) -> int:
    """One ops.file_totals row per numeric column of each total row; returns the mismatches."""
    numeric = [n for n, m in staged.columns.items() if m.column.type in ADDITIVE_TYPES and not m.column.pii]
    if not numeric:
        return 0
    scope = " AND ".join(
        f"(t._total_level <= {j} OR t.{q(n)} IS NULL OR d.{q(n)} = t.{q(n)})" for j, n, _ in _levels(contract, staged)
    ) or "true"
    aggs = ", ".join(f"t.{q(n)} AS {q('t_' + n)}, sum(d.{q(n)}) AS {q('d_' + n)}" for n in numeric)
    group = ", ".join(["t._row_number", "t._total_label", *(f"t.{q(n)}" for n in numeric)])
    head = ", ".join(lit(v) for v in (load_id, contract.source, lf.brand, lf.store, lf.period))
    unpivot = " UNION ALL ".join(
        f"SELECT {head}, _total_label, {lit(n)}, {q('t_' + n)}, coalesce({q('d_' + n)}, 0), _row_number FROM agg "
        f"WHERE {q('t_' + n)} IS NOT NULL"
        for n in numeric
    )
    conn.execute(
        f"""INSERT INTO ops.file_totals
            WITH agg AS (SELECT {aggs}, t._row_number, t._total_label
                         FROM _typed t LEFT JOIN _typed d
                           ON d._total_level IS NULL AND d._reason IS NULL AND {scope}
                         WHERE t._total_level IS NOT NULL GROUP BY {group})
            {unpivot}"""
    )
    return conn.execute(
        "SELECT count(*) FROM ops.file_totals WHERE load_id = ? AND total_value IS DISTINCT FROM detail_value",
        [load_id],
    ).fetchone()[0]  # type: ignore[index]


# ---------------------------------------------------------------- per file / per unit


@dataclass
class _Current:
    load_id: str
    sha: str
    key: tuple[date, float, str]


def _current_loads(conn: duckdb.DuckDBPyConnection, contract: Contract, lf: LandingFile) -> list[_Current]:
    """The unit's loaded deliveries; each as new as the newest copy of its bytes seen (duplicates)."""
    brand, store, period, file_key = _unit(contract, lf)
    rows = conn.execute(
        """SELECT load_id, sha256, status, pulled_on, delivered_at, path FROM ops.load_manifest
           WHERE source = ? AND brand = ? AND store IS NOT DISTINCT FROM ? AND period = ?
             AND status IN ('loaded', 'duplicate') AND (? IS NULL OR file_key = ?)""",
        [contract.source, brand, store, period, file_key, file_key],
    ).fetchall()
    keys: dict[str, tuple[date, float, str]] = {}
    for _, sha, _, pulled, ts, path in rows:
        key = newness(pulled, ts.replace(tzinfo=UTC).timestamp(), path)
        keys[sha] = max(keys.get(sha, key), key)
    return [_Current(lid, sha, keys[sha]) for lid, sha, status, *_ in rows if status == "loaded"]


def _drop_temp(conn: duckdb.DuckDBPyConnection) -> None:
    for t in ("_stage", "_typed", "_rowmap", "_rej_errors", "_rej_scans"):
        conn.execute(f"DROP TABLE IF EXISTS {t}")


def _load_one(conn: duckdb.DuckDBPyConnection, contract: Contract, lf: LandingFile, sha: str, load_id: str,
              current: list[_Current], salt: str | None) -> FileResult:
    """Parse one file and, in one transaction, replace the unit's current rows with it."""
    try:
        staged = stage_file(conn, contract, lf, salt)
        conn.execute(typed_sql(contract, staged, lf.period))
        _mark_duplicates(conn, contract)
        rows_read, rows_loaded, rows_q, rows_total = _counts(conn, staged)
    except FileRejected as exc:
        _drop_temp(conn)
        return _record(conn, lf, sha, load_id, "rejected", reason=str(exc))
    notes = list(staged.notes)
    if rows_read == 0:
        notes.append("no data rows")
    conn.execute("BEGIN TRANSACTION")
    try:
        if current:
            if contract.replace == "period":
                conn.execute(
                    f"DELETE FROM raw.{q(contract.source)} WHERE _brand = ? AND _store IS NOT DISTINCT FROM ? "
                    "AND _period = ?", [lf.brand, lf.store, lf.period])
            else:
                conn.execute(f"DELETE FROM raw.{q(contract.source)} WHERE _load_id IN (SELECT unnest(?))",
                             [[c.load_id for c in current]])
            conn.execute(
                "UPDATE ops.load_manifest SET status = 'replaced', replaced_by = ?, "
                "reason = 'replaced by the newer delivery ' || ? WHERE load_id IN (SELECT unnest(?))",
                [load_id, lf.relpath, [c.load_id for c in current]])
        _insert_rows(conn, contract, lf, load_id)
        _insert_quarantine(conn, contract, staged, lf, load_id)
        mismatches = _insert_totals(conn, contract, staged, lf, load_id) if rows_total else 0
        if mismatches:
            notes.append(f"{mismatches} total value(s) disagree with the detail rows (ops.file_totals)")
        result = _record(conn, lf, sha, load_id, "loaded", rows_read=rows_read, rows_loaded=rows_loaded,
                         rows_quarantined=rows_q, rows_total=rows_total, reason="; ".join(notes) or None)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    finally:
        _drop_temp(conn)
    return result


def _record(conn: duckdb.DuckDBPyConnection, lf: LandingFile, sha: str | None, load_id: str, status: str,
            **kw: object) -> FileResult:
    row = ManifestRow.for_file(lf, load_id, sha, status, **kw)
    insert_manifest(conn, row)
    return FileResult(lf.relpath, status, load_id, row.rows_read, row.rows_loaded, row.rows_quarantined,
                      row.rows_total, row.reason)


def _seen_load_id(conn: duckdb.DuckDBPyConnection, load_id: str, lf: LandingFile) -> bool:
    """Same path, same bytes already in the manifest: refresh its fingerprint, do nothing else."""
    row = conn.execute("SELECT status FROM ops.load_manifest WHERE load_id = ?", [load_id]).fetchone()
    if row is None:
        return False
    conn.execute("UPDATE ops.load_manifest SET fingerprint = ? WHERE load_id = ?", [lf.fingerprint, load_id])
    return True


def _load_unit(conn: duckdb.DuckDBPyConnection, contract: Contract, files: list[LandingFile],
               salt: str | None) -> list[FileResult]:
    """Files of one (source, brand, store, period[, file]) unit: the newest readable one wins."""
    current = _current_loads(conn, contract, files[0])
    results: list[FileResult] = []
    shas: set[str] = {c.sha for c in current}
    for lf in sorted(files, key=lambda f: newness(f.pulled_on, f.mtime, f.relpath), reverse=True):
        sha = file_sha256(lf.path)
        load_id = make_load_id(contract.source, lf.relpath, sha)
        key = newness(lf.pulled_on, lf.mtime, lf.relpath)
        if _seen_load_id(conn, load_id, lf):
            results.append(FileResult(lf.relpath, "skipped", load_id, reason="already in the manifest"))
        elif sha in shas:
            results.append(_record(conn, lf, sha, load_id, "duplicate",
                                   reason="same bytes as a delivery already seen for this period"))
            current = [_Current(c.load_id, c.sha, max(c.key, key)) if c.sha == sha else c for c in current]
        elif current and max(c.key for c in current) > key:
            results.append(_record(conn, lf, sha, load_id, "replaced",
                                   reason="superseded: an equal or newer delivery for this period is loaded"))
        else:
            try:
                result = _load_one(conn, contract, lf, sha, load_id, current, salt)
            except Exception as exc:
                log.exception("loading %s failed", lf.relpath)
                result = _record(conn, lf, sha, load_id, "rejected",
                                 reason=f"{lf.relpath}: unexpected error: {type(exc).__name__}: {exc}")
            results.append(result)
            if result.status == "loaded":
                current = [_Current(load_id, sha, key)]
        shas.add(sha)
    return results


# ---------------------------------------------------------------- public entry points


def _prepared(conn: duckdb.DuckDBPyConnection, contract: Contract) -> bool:
    try:
        conn.execute(f"SELECT jd_numstr('1') FROM raw.{q(contract.source)} LIMIT 0")
    except duckdb.Error:
        return False
    return True


def prepare(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    install_macros(conn)
    ensure_ops_tables(conn)
    ensure_raw_table(conn, contract)


def load_files(conn: duckdb.DuckDBPyConnection, source: str, files: Sequence[LandingFile],
               salt: str | None = None) -> LoadSummary:
    """Load the given landing files of one source (any periods, any brands)."""
    contract = get_contract(source)
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
    for unit in sorted(units, key=lambda u: tuple("" if v is None else v for v in u)):
        todo = [f for f in units[unit] if (f.relpath, f.fingerprint) not in seen]
        summary.files += [FileResult(f.relpath, "skipped", reason="already in the manifest")
                          for f in units[unit] if (f.relpath, f.fingerprint) in seen]
        if todo:
            summary.files += _load_unit(conn, contract, todo, salt)
    return summary


def _seen_paths(conn: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    return {(p, f) for p, f in conn.execute(
        "SELECT path, fingerprint FROM ops.load_manifest WHERE source = ?", [source]).fetchall()}


def _as_bounds(value: str | date, kind_end: bool) -> date:
    if isinstance(value, date):
        return value
    text = str(value)
    kind = ("daily" if len(text) == 10 else "quarterly" if "Q" in text.upper()
            else "monthly" if len(text) == 7 else "yearly")
    lo, hi = period_bounds(kind, text.upper())
    return hi if kind_end else lo


def files_in_range(files: Iterable[LandingFile], source: str, start: str | date, end: str | date) -> list[LandingFile]:
    """Files whose period starts within [start, end] (dates or period labels, inclusive)."""
    contract = get_contract(source)
    lo, hi = _as_bounds(start, False), _as_bounds(end, True)
    return [f for f in files if lo <= period_bounds(contract.period_kind, f.period)[0] <= hi]


def load_partition_range(conn: duckdb.DuckDBPyConnection, source: str, start: str | date, end: str | date,
                         landing_dir: Path | str, salt: str | None = None) -> LoadSummary:
    """Load every brand's files of `source` whose period falls in [start, end] (inclusive).

    `start`/`end`: dates or period labels (`2026-03-01`, `2026-03`, `2026Q1`, `2026`). Refused
    paths under the source's folder are recorded in the manifest (once) as `rejected`.
    """
    contract = get_contract(source)
    prepare(conn, contract)
    record_refused(conn, [*scan_unknown_folders(landing_dir), *scan_refused(landing_dir, source)])
    files = files_in_range(scan_landing(landing_dir, source), source, start, end)
    return load_files(conn, source, files, salt)
