"""Pure logic behind the nightly schedule and the sensors (no Dagster imports: easy to test).

- which partitions the nightly run refreshes for a given time,
- landing-zone fingerprints per (source, partition) and what changed since the last look,
- the window of business days the downstream (warehouse) job must rebuild after ingest.

The landing zone is read through `jd_pipeline.ingest.landing.scan_landing(landing_dir)`, the
loader's own reading of the layout, so the sensor sees exactly the files a load would take. Only
the attributes of `LandingItem` are used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import yaml

from jd_pipeline.config import BUSINESS_TIMEZONE, DBT_PROJECT_DIR
from jd_pipeline.contracts import load_contracts
from jd_pipeline.periods import add_months, period_bounds

ADS_SOURCE = "jd_ads"
CURSOR_VERSION = 1

_DAILY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTHLY = re.compile(r"^\d{4}-\d{2}$")
_QUARTERLY = re.compile(r"^\d{4}Q[1-4]$", re.IGNORECASE)
_YEARLY = re.compile(r"^\d{4}$")
_PERIOD_PATTERNS = {"daily": _DAILY, "monthly": _MONTHLY, "quarterly": _QUARTERLY, "yearly": _YEARLY}


class LandingItem(Protocol):
    """What the sensor needs from one file of the landing zone (read-only: scanners return frozen
    dataclasses)."""

    @property
    def source(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def path(self) -> Path: ...


# ------------------------------------------------------------------------------------ sources


def sources_by_period_kind() -> dict[str, list[str]]:
    """Source names per period kind (`daily`, `monthly`, `quarterly`, `yearly`), from the contracts."""
    out: dict[str, list[str]] = {"daily": [], "monthly": [], "quarterly": [], "yearly": []}
    for name, contract in sorted(load_contracts().items()):
        out.setdefault(contract.period_kind, []).append(name)
    return out


def period_kind_of(source: str) -> str | None:
    contract = load_contracts().get(source)
    return contract.period_kind if contract else None


def period_start(period_kind: str, period: str) -> date | None:
    """First day of a folder period (`2026-03-01`, `2026-03`, `2026Q1`, `2026`); None if it does
    not fit the period kind."""
    pattern = _PERIOD_PATTERNS.get(period_kind)
    if pattern is None or not pattern.match(period):
        return None
    try:
        return period_bounds(period_kind, period)[0]
    except ValueError:  # fits the pattern but is no date (2026-02-30, 2026-13)
        return None


def partition_key_for_period(period_kind: str, period: str, fmt: str) -> str | None:
    """Folder period -> partition key in the partitions definition's format `fmt`
    (`2026Q2` -> `2026-04` for quarterly `%Y-%m`; `2026-03` -> `2026-03-01` for monthly `%Y-%m-%d`)."""
    start = period_start(period_kind, period)
    return start.strftime(fmt) if start else None


def partition_days(period_kind: str, key: str, fmt: str) -> tuple[date, date]:
    """First and last business day covered by a partition key (format `fmt`)."""
    first = datetime.strptime(key, fmt).date()
    if period_kind == "daily":
        return first, first
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[period_kind]
    return first, add_months(first, months) - timedelta(days=1)


# ------------------------------------------------------------------------------------ nightly


@dataclass(frozen=True)
class NightlyPlan:
    business_date: date  # the day the schedule fires (Asia/Shanghai)
    yesterday: date
    daily_sources: list[str]  # ingested for `yesterday`
    ads_window: tuple[date, date]  # jd_ads re-ingested over this window
    months: list[date]  # first days of the month that just closed and of the month in progress


def nightly_plan(scheduled_time: datetime, partitions_start: str) -> NightlyPlan:
    local = scheduled_time.astimezone(ZoneInfo(BUSINESS_TIMEZONE))
    today = local.date()
    yesterday = today - timedelta(days=1)
    start = date.fromisoformat(partitions_start)
    ads_start = max(start, yesterday - timedelta(days=ads_restatement_days() - 1))
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    daily = [s for s in sources_by_period_kind()["daily"] if s != ADS_SOURCE]
    months = [m for m in (last_month, this_month) if m >= start.replace(day=1)]
    return NightlyPlan(today, yesterday, daily, (ads_start, yesterday), months)


# ------------------------------------------------------------------------------------ landing zone


def default_scanner() -> Callable[[Path], Iterable[LandingItem]]:
    """The loader's scanner (imported when asked for: this module stays free of ingest's imports)."""
    from jd_pipeline.ingest.landing import scan_landing

    return scan_landing


def file_fingerprint(item: LandingItem) -> str:
    """Cheap identity of one delivered file: path + the scanner's fingerprint (ingest's
    `LandingFile.fingerprint`, size + mtime) or sha256 if it has one, else size + mtime from stat."""
    path = Path(item.path)
    for attr in ("sha256", "fingerprint"):
        value = getattr(item, attr, None)
        if value:
            return f"{path}|{value}"
    st = path.stat()
    return f"{path}|{st.st_size}|{st.st_mtime_ns}"


def landing_fingerprints(
    items: Iterable[LandingItem], key_for: Callable[[str, str], str | None]
) -> dict[str, str]:
    """`<source>|<partition key>` -> digest of the fingerprints of its files.

    `key_for(period_kind, period)` gives the partition key of a folder period, or None when it is
    not a partition (does not fit, before the start, in the future): such items, and items of
    unknown sources, are left out.
    """
    per_partition: dict[str, list[str]] = {}
    for item in items:
        if getattr(item, "rejected", False):
            continue
        kind = period_kind_of(getattr(item, "source", "") or "")
        if kind is None:
            continue
        key = key_for(kind, str(item.period))
        if key is None:
            continue
        try:
            fingerprint = file_fingerprint(item)
        except OSError:
            continue  # vanished between the scan and the stat: the next tick sees the truth
        per_partition.setdefault(f"{item.source}|{key}", []).append(fingerprint)
    return {
        ident: hashlib.sha1("\n".join(sorted(fps)).encode()).hexdigest()[:16]
        for ident, fps in per_partition.items()
    }


def changed_partitions(previous: dict[str, str], current: dict[str, str]) -> dict[str, list[str]]:
    """source -> sorted partition keys whose files are new or changed since `previous`."""
    out: dict[str, list[str]] = {}
    for ident, digest in current.items():
        if previous.get(ident) != digest:
            source, key = ident.split("|", 1)
            out.setdefault(source, []).append(key)
    return {s: sorted(keys) for s, keys in sorted(out.items())}


def encode_cursor(fingerprints: dict[str, str]) -> str:
    return json.dumps({"v": CURSOR_VERSION, "fp": fingerprints}, sort_keys=True, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
        return {}
    return {str(k): str(v) for k, v in data.get("fp", {}).items()}


# ------------------------------------------------------------------------------------ downstream


def downstream_window(
    ingested: Iterable[tuple[str, str]], formats: dict[str, str], partitions_start: date, last_day: date
) -> tuple[date, date] | None:
    """Business days to rebuild after ingest of `(period_kind, partition_key)` pairs (keys in
    `formats[period_kind]`), clamped to [partitions_start, last_day]; None if nothing is inside."""
    firsts, lasts = [], []
    for kind, key in ingested:
        try:
            first, last = partition_days(kind, key, formats[kind])
        except (KeyError, ValueError):
            continue
        first, last = max(first, partitions_start), min(last, last_day)
        if first <= last:
            firsts.append(first)
            lasts.append(last)
    return (min(firsts), max(lasts)) if firsts else None


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@cache
def ads_restatement_days() -> int:
    """Days 京准通 attribution keeps growing (yesterday and the days before it): the re-ingest
    window here and `fct_ads_daily`'s incremental window read the one dbt var."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["ads_restatement_days"])
