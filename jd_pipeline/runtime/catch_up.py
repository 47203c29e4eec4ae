"""What a run must take in besides its window: late deliveries and what an earlier run held back.

A nightly run for day D is not only about D. Since the last run, files may have arrived for older
periods (a POP day re-delivered with changed statuses, 京准通 re-pulls of the 14 days before D, a GL
month re-delivered, a new product master); and an earlier run may have held back assets because a
blocking check failed. A run that ignores them leaves the warehouse different from a rebuild from
raw (docs/marts_notes.md, "Nightly equals rebuild"). This module finds them:

- `pending_partitions`: per period kind, the partition keys of landing files that are new or
  changed since ops.load_manifest saw them (path + size + mtime, as the landing sensor compares),
  up to the end of the run's window;
- `held_back_start`: the first day of any window an earlier run held back (ops.held_assets).

The run widens its ingest ranges and its build window to cover both (`orchestrate.run_pipeline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from jd_pipeline.config import Settings, duckdb_config


@dataclass
class CatchUp:
    """Partitions and days a run takes in besides its window."""

    pending: dict[str, set[str]] = field(default_factory=dict)  # period kind -> partition keys
    pending_first_day: dict[str, date] = field(default_factory=dict)  # period kind -> first day
    pending_sources: dict[str, set[str]] = field(default_factory=dict)  # source -> periods before the window
    held_start: date | None = None

    def build_start(self, start: date) -> date:
        """First day the build stages must cover: rows of a daily source re-delivered for an
        older day live on that day; held-back windows are rebuilt. Monthly and longer sources feed
        only marts rebuilt whole on every run, so they do not widen the day window."""
        candidates = [start, self.pending_first_day.get("daily", start)]
        if self.held_start is not None:
            candidates.append(self.held_start)
        return min(candidates)

    def describe(self, start: date) -> list[str]:
        """One line per source with files for periods before the window new or changed since the
        last load (late deliveries), and the held window."""
        lines = [
            f"late deliveries of {source} taken in: {', '.join(sorted(periods)[:6])}"
            + (f" and {len(periods) - 6} more" if len(periods) > 6 else "")
            for source, periods in sorted(self.pending_sources.items())
        ]
        if self.held_start is not None and self.held_start < start:
            lines.append(f"held back by an earlier run since {self.held_start}: rebuilt from there")
        return lines


def pending_partitions(settings: Settings, start: date, end: date) -> CatchUp:
    """Landing files not yet in ops.load_manifest with their current fingerprint, by period kind."""
    from jd_pipeline.contracts import get_contract
    from jd_pipeline.ingest.landing import scan_landing
    from jd_pipeline.ingest.manifest import seen_fingerprints
    from jd_pipeline.periods import period_bounds

    files = scan_landing(settings.landing_dir)
    seen = _read(settings.warehouse_db, seen_fingerprints, set())
    catch_up = CatchUp()
    partitions_start = date.fromisoformat(settings.partitions_start)
    for item in files:
        if (item.relpath, item.fingerprint) in seen:
            continue
        kind = get_contract(item.source).period_kind
        first_day = period_bounds(kind, item.period)[0]
        if first_day > end:
            continue  # a period after the window waits for its own run
        if period_bounds(kind, item.period)[1] < partitions_start:
            continue  # before JD_PARTITIONS_START: no partition to load it into
        catch_up.pending.setdefault(kind, set()).add(item.partition_key)
        if first_day < start:
            catch_up.pending_sources.setdefault(item.source, set()).add(item.period)
        if kind not in catch_up.pending_first_day or first_day < catch_up.pending_first_day[kind]:
            catch_up.pending_first_day[kind] = first_day
    catch_up.held_start = _read(settings.warehouse_db, held_back_start, None)
    return catch_up


def _read(db: Path, reader, default):
    """Run `reader(conn)` on the warehouse read-only; `default` when there is no warehouse yet."""
    if not db.exists():
        return default
    try:
        with duckdb.connect(str(db), read_only=True, config=duckdb_config()) as conn:
            return reader(conn)
    except duckdb.CatalogException:
        return default


def held_back_start(conn: duckdb.DuckDBPyConnection) -> date | None:
    from jd_pipeline.runtime.held import HELD_TABLE

    row = conn.execute(f"select min(window_start) from {HELD_TABLE}").fetchone()
    return row[0] if row else None


def expected_daily() -> dict[str, tuple[tuple[str, str | None], ...]]:
    """The daily sources every brand delivers for each day (contract `every_day`), by the store
    key they come from: `pop`/`self` (a store's own source, or a per-store folder: the store is
    given) and `any` (brand-level). Sources such as jd_vc_purchase_orders (only the lines changed
    that day) or the snapshots are not `every_day`: their absence on a day is not a gap."""
    from jd_pipeline.brands import STORES
    from jd_pipeline.contracts import load_contracts

    out: dict[str, list[tuple[str, str | None]]] = {key: [] for key in (*STORES, "any")}
    for contract in load_contracts().values():
        if not contract.every_day:
            continue
        if contract.store == "path":
            for store in STORES:
                out[store].append((contract.source, store))
        else:
            out[contract.fixed_store() or "any"].append((contract.source, None))
    return {key: tuple(items) for key, items in out.items()}


def missing_deliveries(
    landing: Path, stores_by_brand: dict[str, tuple[str, ...]], start: date, end: date
) -> list[str]:
    """`source[/store] brand: day, day, ...` for each expected daily delivery without any file."""
    from datetime import timedelta

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    by_store = expected_daily()
    lines = []
    for brand, stores in sorted(stores_by_brand.items()):
        expected = [item for store in (*stores, "any") for item in by_store.get(store, ())]
        for source, store in expected:
            folder = landing / source / brand / (store or "")
            gaps = [d for d in days if not _has_file(folder / d.isoformat())]
            if gaps:
                shown = ", ".join(d.isoformat() for d in gaps[:5]) + (
                    f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
                )
                lines.append(f"{source}{'/' + store if store else ''} {brand}: no file for {shown}")
    return lines


def _has_file(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.iterdir())


def window_has_files(landing: Path, start: date, end: date) -> bool:
    """Whether any landing file's period overlaps [start, end]."""
    from jd_pipeline.contracts import get_contract
    from jd_pipeline.ingest.landing import scan_landing
    from jd_pipeline.periods import period_bounds

    for item in scan_landing(landing):
        first, last = period_bounds(get_contract(item.source).period_kind, item.period)
        if first <= end and last >= start:
            return True
    return False
