"""Plausibility before replacement: a re-delivery that shrinks its period a lot, or a near-empty
day of a daily source, is held.

A corrected extract replaces the earlier delivery of its (source, brand, store, period)
entirely. A re-delivery cut short (an export that stopped on a line boundary) looks like a valid
file, so before the replacement its rows and money totals are compared with the delivery it
replaces: more than `JD_HOLD_SHRINK` (a share, default 0.5) fewer rows, or a money column's
total smaller by more than that share, and the file is `held` in ops.load_manifest with the figures; the previous
delivery stays live. `jd-pipeline accept <path>` accepts it (the next load replaces the period,
the manifest row says it was accepted). The ingest asset's blocking check `no_held_delivery`
fails while a held file exists for the partition, so nothing downstream is rebuilt from it.

A first delivery of a day of an `every_day` source (a file every day, of comparable size) is
compared with the recent volume of its (source, brand, store): the median rows loaded over its
last `RECENT_DAYS` loaded days before that day. With at least `MIN_RECENT_DAYS` of them, a day
with fewer rows than `JD_HOLD_LOW_DAY` (a share, default 0.1) of that median is held the same
way: nothing of the day is loaded until it is accepted. Too short a history is not judged (a
new brand or store, an initial backfill loading every day in one batch). A day without any file
is no delivery to hold: `jd-pipeline status` and the run summary list it as missing
(runtime/status.py, runtime/catch_up.py).
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, datetime
from statistics import median

import duckdb

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.sql import q

DEFAULT_SHRINK = 0.5
# A near-empty day, not a quiet one: the generated scenario's deepest legitimate dip (POP orders on
# the pre-Spring-Festival logistics stop) keeps 18 % of its median (benchmarks/README.md).
DEFAULT_LOW_DAY = 0.1
RECENT_DAYS = 14  # two weeks: both weekends, and a promotion day barely moves the median
MIN_RECENT_DAYS = 7
ACCEPT_NOTE = "accepted by the operator after a hold"


def _share(variable: str, default: float) -> float:
    """A share from the environment (0 < share <= 1); the default when unset or invalid."""
    text = os.environ.get(variable, "")
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if 0 < value <= 1 else default


def shrink_share() -> float:
    """`JD_HOLD_SHRINK`: the share a re-delivery may shrink by before it is held (0 < share <= 1)."""
    return _share("JD_HOLD_SHRINK", DEFAULT_SHRINK)


def low_day_share() -> float:
    """`JD_HOLD_LOW_DAY`: a day with fewer rows than this share of its recent median is held."""
    return _share("JD_HOLD_LOW_DAY", DEFAULT_LOW_DAY)


def _fmt(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def held_reasons(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: Sequence[tuple[int, str, list[str], list[str]]],
) -> dict[int, str]:
    """{batch index: reason} of the staged files (in `_typed`) to hold. `files`: (batch index,
    path, replaced paths, replaced load ids) of the re-deliveries not accepted yet."""
    if not files:
        return {}
    share = shrink_share()
    money = [c.stored_name for c in contract.stored_columns if c.type == "money" and not c.pii]
    sums = "".join(f", sum({q(m)})" for m in money)
    new = {
        r[0]: r[1:]
        for r in conn.execute(
            f"SELECT _file, count(*){sums} FROM _typed WHERE _reason IS NULL AND _total_level IS NULL "
            f"AND _file IN (SELECT unnest(?)) GROUP BY _file",
            [[f[0] for f in files]],
        ).fetchall()
    }
    out: dict[int, str] = {}
    for index, path, old_paths, old_ids in files:
        old = conn.execute(
            f"SELECT count(*){sums} FROM raw.{q(contract.source)} WHERE _load_id IN (SELECT unnest(?))",
            [old_ids],
        ).fetchall()[0]  # fetchall: a half-read result blocks the connection
        now = new.get(index, (0, *([None] * len(money))))
        figures = []
        for label, before, after in zip(
            ["rows", *(contract.column(m).header + " total" for m in money)], old, now
        ):
            before, after = before or 0, after or 0
            if before > 0 and float(after) < float(before) * (1 - share):
                change = (float(after) - float(before)) / float(before)
                figures.append(f"{label} {_fmt(before)} -> {_fmt(after)} ({change:+.1%})")
        if figures:
            out[index] = (
                f"{path}: held: shrinks its period by more than {share:.0%} against the delivery it "
                f"replaces ({', '.join(old_paths)}): {'; '.join(figures)}. The previous delivery stays "
                f"live; accept with: jd-pipeline accept {path}"
            )
    return out


def _loaded_days(
    conn: duckdb.DuckDBPyConnection, source: str, brands: Sequence[str]
) -> dict[tuple[str, str | None], list[tuple[str, int]]]:
    """Per (brand, store): (day, rows loaded) of every loaded day, in day order (one query a batch)."""
    out: dict[tuple[str, str | None], list[tuple[str, int]]] = {}
    for brand, store, period, rows in conn.execute(
        "SELECT brand, store, period, sum(rows_loaded) FROM ops.load_manifest WHERE source = ? "
        "AND status = 'loaded' AND brand IN (SELECT unnest(?)) GROUP BY ALL ORDER BY period",
        [source, sorted(set(brands))],
    ).fetchall():
        out.setdefault((brand, store), []).append((period, int(rows or 0)))
    return out


def recent_volume(days: list[tuple[str, int]], period: str) -> tuple[float, int, str, str] | None:
    """(median rows, days, first day, last day) of the last RECENT_DAYS of `days` (day order)
    before `period`; None with fewer than MIN_RECENT_DAYS of them."""
    recent = days[max(0, bisect_left(days, (period,)) - RECENT_DAYS) : bisect_left(days, (period,))]
    if len(recent) < MIN_RECENT_DAYS:
        return None
    return float(median(r for _, r in recent)), len(recent), recent[0][0], recent[-1][0]


def low_day_reasons(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: Sequence[tuple[int, str, str, str | None, str]],
) -> dict[int, str]:
    """{batch index: reason} of the staged first deliveries (in `_typed`) of days to hold as
    near-empty against the recent volume. `files`: (batch index, path, brand, store, period)."""
    if not files or not contract.every_day:
        return {}
    share = low_day_share()
    rows = dict(
        conn.execute(
            "SELECT _file, count(*) FROM _typed WHERE _reason IS NULL AND _total_level IS NULL "
            "AND _file IN (SELECT unnest(?)) GROUP BY _file",
            [[f[0] for f in files]],
        ).fetchall()
    )
    loaded_days = _loaded_days(conn, contract.source, [f[2] for f in files])
    out: dict[int, str] = {}
    for index, path, brand, store, period in files:
        recent = recent_volume(loaded_days.get((brand, store), []), period)
        if recent is None:
            continue
        typical, days, first, last = recent
        loaded = rows.get(index, 0)
        if loaded < typical * share:
            where = f"{contract.source} {brand}" + (f"/{store}" if contract.has_store_dir else "")
            out[index] = (
                f"{path}: held: near-empty day: rows {loaded:,} against a median of {typical:,.0f} "
                f"over the last {days} loaded days of {where} ({first}..{last}), under "
                f"{share:.0%} of it. Nothing of the day is loaded; accept with: jd-pipeline accept {path}"
            )
    return out


def accept(conn: duckdb.DuckDBPyConnection, path: str) -> int:
    """Accept the held delivery at `path` (landing-relative); the next load of its partition
    replaces the period with it. Returns how many manifest rows were accepted (0: none held)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    row = conn.execute(
        "UPDATE ops.load_manifest SET status = 'accepted', fingerprint = NULL, "
        "reason = ? || ' at ' || ? || ' (was: ' || reason || ')' WHERE path = ? AND status = 'held' RETURNING load_id",
        [ACCEPT_NOTE, stamp, path],
    ).fetchall()
    return len(row)
