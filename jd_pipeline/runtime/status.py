"""`jd-pipeline status`: per source × brand the newest loaded period, rejected files, last publish.

Reads `ops.load_manifest` from the working warehouse read-only; when a writer holds its lock
(a run is in progress) it reads the served copy instead, and says so.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import duckdb

from jd_pipeline.config import Settings, get_settings
from jd_pipeline.runtime.held import read_held
from jd_pipeline.serving.duckdb_publish import read_publish_info
from jd_pipeline.warehouse import fetch_value

MANIFEST_TABLE = "ops.load_manifest"
MAX_REJECTIONS_SHOWN = 10
OUT_OF_RANGE = "(out of range)"  # in the reason of files outside the partition range (ingest.loader)


@dataclass(frozen=True)
class SourceBrandStatus:
    source: str
    brand: str
    newest_period: str | None
    files_loaded: int
    files_rejected: int
    last_loaded_at: str | None


@dataclass(frozen=True)
class Rejection:
    path: str
    reason: str
    seen_at: str | None


@dataclass
class StatusReport:
    read_from: str | None  # the database the manifest was read from
    note: str = ""
    rows: list[SourceBrandStatus] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    out_of_range: list[Rejection] = field(default_factory=list)
    missing_days: list[str] = field(default_factory=list)  # `source[/store] brand: N day(s): ranges`
    published_at: str | None = None
    published_rows: int | None = None
    serving_path: str | None = None
    has_previous: bool = False
    held: list[tuple] = field(default_factory=list)  # (asset, window_start, window_end, reason) held back
    # deliveries held by the loader (a shrinking re-delivery, a near-empty day): `jd-pipeline accept`
    held_files: list[Rejection] = field(default_factory=list)


def collect_status(settings: Settings | None = None) -> StatusReport:
    settings = settings or get_settings()
    report = _read_manifest(settings)
    info = read_publish_info(settings)
    if info:
        report.published_at = info.get("published_at")
        report.published_rows = info.get("total_rows")
    elif settings.serving_db.exists():
        mtime = datetime.fromtimestamp(settings.serving_db.stat().st_mtime).astimezone()
        report.published_at = mtime.isoformat(timespec="seconds") + " (file time)"
    if settings.serving_db.exists():
        report.serving_path = str(settings.serving_db)
        report.has_previous = settings.serving_db.with_name(settings.serving_db.name + ".previous").exists()
    return report


def print_status(settings: Settings | None = None, out: TextIO | None = None) -> int:
    """Print the status report; 0 on success, 1 if the status itself could not be read."""
    out = out or sys.stdout
    try:
        report = collect_status(settings)
    except duckdb.Error as exc:
        print(f"error: could not read the load manifest: {exc}", file=sys.stderr)
        return 1
    out.write(format_status(report))
    return 0


def format_status(report: StatusReport) -> str:
    lines: list[str] = []
    if report.read_from:
        lines.append(f"Load manifest: {report.read_from}" + (f"  ({report.note})" if report.note else ""))
    else:
        lines.append(f"Load manifest: not available ({report.note})")
    if report.rows:
        header = ("source", "brand", "newest period", "loaded", "rejected", "last loaded at")
        table = [header] + [
            (
                r.source,
                r.brand,
                r.newest_period or "-",
                str(r.files_loaded),
                str(r.files_rejected),
                r.last_loaded_at or "-",
            )
            for r in report.rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines.append("")
        for i, row in enumerate(table):
            lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
    if report.rejections:
        lines.append("")
        lines.append(f"Latest rejected files (up to {MAX_REJECTIONS_SHOWN}):")
        for rej in report.rejections:
            lines.append(f"  {rej.seen_at or '-'}  {rej.path}: {rej.reason}")
    if report.held_files:
        lines.append("")
        lines.append(f"Held deliveries, not loaded until accepted (up to {MAX_REJECTIONS_SHOWN}):")
        for rej in report.held_files:
            lines.append(f"  {rej.seen_at or '-'}  {rej.reason}")
    if report.held:
        lines.append("")
        lines.append(
            f"Held back by the last run ({len(report.held)} assets; the next clean run catches them up):"
        )
        for asset, start, end, reason in report.held[:MAX_REJECTIONS_SHOWN]:
            lines.append(f"  {asset} {start}..{end}: {reason}")
    if report.out_of_range:
        lines.append("")
        lines.append(f"Files outside the partition range, never loaded (up to {MAX_REJECTIONS_SHOWN}):")
        for rej in report.out_of_range:
            lines.append(f"  {rej.path}: {rej.reason}")
    if report.missing_days:
        lines.append("")
        lines.append("Missing days (no delivery loaded, first loaded day .. yesterday):")
        lines += [f"  {m}" for m in report.missing_days]
    lines.append("")
    if report.published_at:
        rows = f", {report.published_rows:,} rows" if report.published_rows is not None else ""
        prev = " (previous generation kept)" if report.has_previous else ""
        lines.append(f"Last publish: {report.published_at}{rows} -> {report.serving_path}{prev}")
    else:
        lines.append("Last publish: never (no served warehouse yet)")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------


def _read_manifest(settings: Settings) -> StatusReport:
    candidates: list[tuple[Path, str]] = [(settings.warehouse_db, "")]
    note = ""
    if settings.serving_db.exists():
        candidates.append((settings.serving_db, "working warehouse busy: read from the served copy"))
    for path, candidate_note in candidates:
        if not path.exists():
            note = f"{path} does not exist"
            continue
        try:
            con = duckdb.connect(str(path), read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:  # locked by a writer
            note = f"{path} is locked by a running step ({_first_line(exc)})"
            continue
        try:
            if not _has_manifest(con):
                note = f"{MANIFEST_TABLE} not found in {path}"
                continue
            report = StatusReport(read_from=str(path), note=candidate_note)
            try:
                report.rows = _summarise(con)
                report.rejections = _rejections(con)
                report.held = read_held(con)
                report.held_files = _rejections(con, status="held")
                report.out_of_range = _rejections(con, OUT_OF_RANGE)
                report.missing_days = _missing_days(con)
            except duckdb.Error as exc:
                note = f"{MANIFEST_TABLE} in {path} is not readable ({_first_line(exc)})"
                continue
            return report
        finally:
            con.close()
    return StatusReport(read_from=None, note=note or "no warehouse yet: run `jd-pipeline run`")


def _has_manifest(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        fetch_value(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' AND table_name = 'load_manifest'",
        )
    )


def _columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'ops' AND table_name = 'load_manifest'"
        ).fetchall()
    }


def _seen_at_expr(cols: set[str]) -> str:
    for name in ("loaded_at", "delivered_at"):
        if name in cols:
            return f"CAST({name} AS VARCHAR)"
    return "CAST(NULL AS VARCHAR)"


def _summarise(con: duckdb.DuckDBPyConnection) -> list[SourceBrandStatus]:
    seen = _seen_at_expr(_columns(con))
    rows = con.execute(
        f"""
        SELECT coalesce(source, '(unknown)'), coalesce(brand, '(unknown)'),
               max(period) FILTER (WHERE status <> 'rejected'),
               count(*) FILTER (WHERE status IN ('loaded', 'replaced')),
               count(*) FILTER (WHERE status = 'rejected'),
               max({seen}) FILTER (WHERE status <> 'rejected')
        FROM {MANIFEST_TABLE}
        GROUP BY ALL
        ORDER BY 1, 2
        """
    ).fetchall()
    return [
        SourceBrandStatus(str(s), str(b), p, int(n_ok), int(n_rej), str(t)[:19] if t else None)
        for s, b, p, n_ok, n_rej, t in rows
    ]


def _rejections(
    con: duckdb.DuckDBPyConnection, containing: str = "", status: str = "rejected"
) -> list[Rejection]:
    """The newest manifest rows of `status` whose reason contains `containing`."""
    seen = _seen_at_expr(_columns(con))
    rows = con.execute(
        f"""
        SELECT path, coalesce(reason, ''), {seen} AS seen_at FROM {MANIFEST_TABLE}
        WHERE status = ? AND contains(coalesce(reason, ''), ?)
        ORDER BY seen_at DESC NULLS LAST, path LIMIT {MAX_REJECTIONS_SHOWN}
        """,
        [status, containing],
    ).fetchall()
    return [Rejection(str(p), str(r), str(t)[:19] if t else None) for p, r, t in rows]


def _missing_days(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Per expected daily source (contract `every_day`) × brand × store: the days from its
    first loaded day to yesterday (Asia/Shanghai) without a loaded delivery."""
    from jd_pipeline.contracts import load_contracts
    from jd_pipeline.ingest.landing import business_today

    sources = sorted(c.source for c in load_contracts().values() if c.every_day)
    rows = con.execute(
        f"""SELECT source, brand, store, list(DISTINCT period ORDER BY period) FROM {MANIFEST_TABLE}
            WHERE source IN (SELECT unnest(?)) AND status IN ('loaded', 'replaced', 'duplicate')
              AND brand IS NOT NULL AND period IS NOT NULL GROUP BY ALL ORDER BY ALL""",
        [sources],
    ).fetchall()
    last = business_today() - timedelta(days=1)
    out = []
    for source, brand, store, periods in rows:
        have = {date.fromisoformat(p) for p in periods}
        day, gaps = min(have), []
        while day <= last:
            if day not in have:
                gaps.append(day)
            day += timedelta(days=1)
        if gaps:
            label = f"{source}/{store}" if load_contracts()[source].has_store_dir else source
            out.append(f"{label} {brand}: {len(gaps)} day(s): {_ranges(gaps)}")
    return out


def _ranges(days: list[date], shown: int = 8) -> str:
    spans: list[tuple[date, date]] = []
    for d in days:
        if spans and d == spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], d)
        else:
            spans.append((d, d))
    text = [str(a) if a == b else f"{a}..{b}" for a, b in spans[:shown]]
    return ", ".join(text) + (f" and {len(spans) - shown} more range(s)" if len(spans) > shown else "")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
