"""Partition windows and the SQL that turns a `_period` label into a date range.

Every data-quality result is stored with the window of business dates it covers
(`window_start` inclusive, `window_end` exclusive, ISO dates) so the gate can ask
"what is the latest result covering day d" whatever the period kind of the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jd_pipeline.periods import add_months

ALL_TIME_START = date(1900, 1, 1)
ALL_TIME_END = date(9999, 12, 31)


@dataclass(frozen=True)
class Window:
    """A half-open range of business dates `[start, end)` and the partition label it came from."""

    start: date
    end: date
    label: str | None = None

    @property
    def partition(self) -> str | None:
        return self.label

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


ALL_TIME = Window(ALL_TIME_START, ALL_TIME_END, None)


def period_window(label: str) -> Window:
    """`2026-03-01` (day), `2026-03` (month), `2026Q1` (quarter), `2026` (year) -> Window."""
    text = label.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        start = date.fromisoformat(text)
        return Window(start, start + timedelta(days=1), text)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        start = date(int(text[:4]), int(text[5:7]), 1)
        return Window(start, add_months(start, 1), text)
    match = re.fullmatch(r"(\d{4})[Qq]([1-4])", text)
    if match:
        start = date(int(match.group(1)), (int(match.group(2)) - 1) * 3 + 1, 1)
        return Window(start, add_months(start, 3), text)
    if re.fullmatch(r"\d{4}", text):
        return Window(date(int(text), 1, 1), date(int(text) + 1, 1, 1), text)
    raise ValueError(f"not a period label: {label!r}")


def partition_window(partition: str | None) -> Window:
    """A partition key, a `first...last` / `first..last` key range or the `min,max` inclusive
    date pair of the dbt vars -> Window (None: all time).

    Keys are read as period labels, so a monthly partition key `2026-03-01` reads as a single
    day: pass the time window explicitly (`window_from_bounds`) where the context has it.
    """
    if not partition:
        return ALL_TIME
    parts = [p for p in re.split(r"\.{2,3}|,", partition) if p.strip()]
    first, last = period_window(parts[0]), period_window(parts[-1])
    return Window(first.start, last.end, partition)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def window_from_bounds(start: date | datetime, end: date | datetime, label: str | None) -> Window:
    return Window(_as_date(start), _as_date(end), label)


def period_start_sql(column: str) -> str:
    """DuckDB expression: first day of the period label held in `column` (VARCHAR)."""
    c = f"trim({column})"
    return (
        f"(CASE WHEN length({c}) = 10 THEN CAST({c} AS DATE) "
        f"WHEN length({c}) = 7 THEN CAST({c} || '-01' AS DATE) "
        f"WHEN length({c}) = 6 AND upper(substr({c}, 5, 1)) = 'Q' "
        f"THEN make_date(CAST(substr({c}, 1, 4) AS INTEGER), "
        f"(CAST(substr({c}, 6, 1) AS INTEGER) - 1) * 3 + 1, 1) "
        f"WHEN length({c}) = 4 THEN make_date(CAST({c} AS INTEGER), 1, 1) END)"
    )


def period_end_sql(column: str) -> str:
    """DuckDB expression: first day after the period label held in `column` (exclusive end)."""
    c = f"trim({column})"
    start = period_start_sql(column)
    return (
        f"(CASE WHEN length({c}) = 10 THEN {start} + INTERVAL 1 DAY "
        f"WHEN length({c}) = 7 THEN {start} + INTERVAL 1 MONTH "
        f"WHEN length({c}) = 6 THEN {start} + INTERVAL 3 MONTH "
        f"WHEN length({c}) = 4 THEN {start} + INTERVAL 1 YEAR END)::DATE"
    )
