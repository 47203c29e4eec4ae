"""Holding back exactly what depends on a failure, through Dagster's asset lineage.

A run is cut into stages (`orchestrate.plan_stages`). When a step fails or a blocking check fails
in a stage, the assets it could not materialize and the assets whose blocking check failed are the
*roots*; they and everything downstream of them (Dagster's lineage) are held back: later stages run
without them, so one bad ledger line stops OPEX and P&L, not POP orders, ads, VC or 商智.

Held assets are recorded in `ops.held_assets` (asset, window, reason, run_id). The next run rebuilds
from the earliest held day (`ops.catch_up`) and clears the table when nothing is held any more.
Publishing waits while anything is held: the publish asset is downstream of every mart, so it is
held too, and BI keeps the previous generation of every table (never a half-updated set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

import dagster as dg
import duckdb

HELD_TABLE = "ops.held_assets"
_DDL = f"""
create table if not exists {HELD_TABLE} (
    asset varchar not null,
    window_start date not null,
    window_end date not null,
    reason varchar not null,
    run_id varchar,
    held_at timestamp not null
)"""


def downstream_of(defs_graph, roots: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
    """The roots and every asset downstream of them in the asset graph."""
    roots = set(roots)
    if not roots:
        return set()
    return set(dg.AssetSelection.assets(*roots).downstream().resolve(defs_graph))


def not_materialized(selected: Iterable[dg.AssetKey], result) -> set[dg.AssetKey]:
    """Selected assets without any materialization in the run's events (failed or skipped steps)."""
    materialized = {
        event.asset_key
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key is not None
    }
    return set(selected) - materialized


def record_held(
    conn: duckdb.DuckDBPyConnection, held: Mapping[dg.AssetKey, str], start: date, end: date, run_id: str
) -> None:
    """Replace the held list by this run's: a run covers every earlier held window (it starts at
    the earliest held day), so what it did not hold any more is caught up."""
    conn.execute("create schema if not exists ops")
    conn.execute(_DDL)
    earlier = dict(conn.execute(f"select asset, min(window_start) from {HELD_TABLE} group by 1").fetchall())
    conn.execute(f"delete from {HELD_TABLE}")
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (key.to_user_string(), min(start, earlier.get(key.to_user_string(), start)), end, reason, run_id, now)
        for key, reason in sorted(held.items(), key=lambda item: item[0].to_user_string())
    ]
    if rows:
        conn.executemany(f"insert into {HELD_TABLE} values (?, ?, ?, ?, ?, ?)", rows)


def read_held(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    try:
        return conn.execute(
            f"select asset, window_start, window_end, reason from {HELD_TABLE} order by asset"
        ).fetchall()
    except duckdb.CatalogException:
        return []
