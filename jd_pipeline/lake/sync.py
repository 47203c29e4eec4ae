"""`sync_lake(conn, contract)`: make the lake hold exactly the rows of `raw.<source>`.

Called by the loader after each ingest commit (jd_pipeline/ingest/loader.py) and by
`jd-pipeline lake-sync` for every source (a back-fill of an existing warehouse, or a retry).
Each unit is written atomically and recorded in ops.lake_units right after, so a sync stopped
by an error keeps what it finished and the next sync does only the rest. The source's rows of
ops.file_totals follow in one object of their own (lake/tables.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import duckdb

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.sql import lit, q
from jd_pipeline.lake.paths import LakeUnit
from jd_pipeline.lake.store import Lake
from jd_pipeline.lake.tables import sync_file_totals, write_config_objects
from jd_pipeline.lake.units import (
    UnitState,
    ensure_lake_units,
    forget_units,
    raw_units,
    record_units,
    recorded_units,
)
from jd_pipeline.warehouse import table_exists

log = logging.getLogger(__name__)


class LakeSyncError(RuntimeError):
    """A unit could not be written to (or removed from) the lake. The warehouse is committed; the
    next sync of the source retries what is missing."""


@dataclass
class LakeSyncResult:
    source: str
    url: str
    units_written: int = 0
    units_removed: int = 0
    units_total: int = 0  # units the lake holds for the source after the sync
    rows_written: int = 0
    file_totals_rows: int | None = None  # rows of its ops.file_totals object, when it was rewritten
    seconds: float = 0.0


def lake_url() -> str | None:
    """`JD_RAW_LAKE_URL` as configured (None: the lake is off)."""
    from jd_pipeline.config import get_settings

    return get_settings().raw_lake_url


def unit_sql(contract: Contract, unit: LakeUnit, state: UnitState) -> str:
    """The rows of one unit in file order: exactly its rows of `raw.<source>`, every column."""
    ids = ", ".join(lit(i) for i in state.load_ids)
    return (
        f"SELECT * FROM raw.{q(contract.source)} WHERE _period = {lit(unit.period)} "
        f"AND _load_id IN ({ids}) ORDER BY _load_id, _row_number"
    )


def sync_lake(
    conn: duckdb.DuckDBPyConnection, contract: Contract, url: str | None = None
) -> LakeSyncResult | None:
    """Write the units of `raw.<source>` whose content differs from what ops.lake_units records,
    remove the recorded units raw no longer has. `url`: the lake (default `JD_RAW_LAKE_URL`);
    None when the lake is off (nothing is written, ops.lake_units is not created).
    Raises LakeSyncError naming the unit that failed."""
    url = url if url is not None else lake_url()
    if url is None:
        return None
    started = time.perf_counter()
    lake = Lake(url)
    result = LakeSyncResult(contract.source, url)
    ensure_lake_units(conn)
    loaded = table_exists(conn, "raw", contract.source)
    current = raw_units(conn, contract) if loaded else {}
    recorded = recorded_units(conn, contract.source)
    per_file = contract.replace == "file"
    written: list[tuple[LakeUnit, UnitState, str]] = []
    try:  # what was written is recorded even when a later unit fails: the next sync skips it
        for unit in sorted(current):
            state = current[unit]
            relpath = unit.relpath(per_file)
            target = lake.object_url(relpath)
            have = recorded.get(unit)
            if have is not None and (have.load_id, have.rows, have.url) == (
                state.load_id,
                state.rows,
                target,
            ):
                continue
            try:
                lake.write(conn, unit_sql(contract, unit, state), relpath)
            except Exception as exc:
                raise LakeSyncError(
                    f"raw lake: writing unit {unit.describe()} to {target} failed ({type(exc).__name__}: {exc}); "
                    f"raw.{contract.source} is committed, the next sync of {contract.source} "
                    "(its next load, or `jd-pipeline lake-sync`) retries it"
                ) from exc
            written.append((unit, state, target))
            result.rows_written += state.rows
    finally:
        record_units(conn, written)
    result.units_written = len(written)
    removed: list[LakeUnit] = []
    try:
        for unit in sorted(set(recorded) - set(current)):
            have = recorded[unit]
            relpath = unit.relpath(per_file)
            try:
                # An object recorded under another lake URL is not this lake's to delete.
                if have.url == lake.object_url(relpath):
                    lake.remove(relpath)
            except Exception as exc:
                raise LakeSyncError(
                    f"raw lake: removing unit {unit.describe()} at {have.url} failed "
                    f"({type(exc).__name__}: {exc}); the next sync of {contract.source} retries it"
                ) from exc
            removed.append(unit)
    finally:
        forget_units(conn, removed)
    result.units_removed = len(removed)
    result.units_total = len(current)
    if loaded:  # a source never loaded has no totals, and no object to say so
        result.file_totals_rows = _sync_file_totals(conn, contract.source, lake)
    result.seconds = time.perf_counter() - started
    if result.units_written or result.units_removed:
        log.info(
            "raw lake %s: %d unit(s) written (%d rows), %d removed in %.2fs",
            contract.source,
            result.units_written,
            result.rows_written,
            result.units_removed,
            result.seconds,
        )
    return result


def _sync_file_totals(conn: duckdb.DuckDBPyConnection, source: str, lake: Lake) -> int | None:
    # The dbt test reconciling inventory against its 全国 totals reads ops.file_totals: a Spark
    # run needs it from the lake as much as raw.
    try:
        return sync_file_totals(conn, source, lake)
    except Exception as exc:
        raise LakeSyncError(
            f"raw lake: writing ops.file_totals of {source} to {lake.url} failed ({type(exc).__name__}: {exc}); "
            f"the warehouse is committed, the next sync of {source} retries it"
        ) from exc


def sync_config(conn: duckdb.DuckDBPyConnection, url: str | None = None) -> list[str]:
    """Write the warehouse's config tables to the lake (`url`, default `JD_RAW_LAKE_URL`; nothing
    when the lake is off). Raises LakeSyncError. Returns the tables written."""
    url = url if url is not None else lake_url()
    if url is None:
        return []
    try:
        return write_config_objects(conn, url)
    except Exception as exc:
        raise LakeSyncError(
            f"raw lake: writing the config tables to {url} failed ({type(exc).__name__}: {exc}); "
            "the warehouse's copy is written, the next dbt build (or `jd-pipeline lake-sync`) retries it"
        ) from exc


def sync_all(
    conn: duckdb.DuckDBPyConnection,
    contracts: Iterable[Contract],
    url: str,
    progress: Callable[[LakeSyncResult], None] | None = None,
) -> list[LakeSyncResult]:
    """`sync_lake` for every source (stops at the first LakeSyncError), then delete temporary
    objects a killed writer may have left. `progress` gets each source's result. Also writes the
    config tables the warehouse holds (a back-fill need not wait for the next dbt build)."""
    results = []
    for contract in contracts:
        result = sync_lake(conn, contract, url)
        assert result is not None
        results.append(result)
        if progress is not None:
            progress(result)
    sync_config(conn, url)
    Lake(url).sweep_temporaries()
    return results
