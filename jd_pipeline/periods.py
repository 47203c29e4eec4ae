"""The calendar of periods: days, months (`2026-03`), quarters (`2026Q1`) and years (`2026`).

The landing zone's folder periods, the partition keys, the report months and the generator's
months all use this arithmetic: month starts and ends, the months between two days, quarter
labels, and the first and last day of a period of any kind.
"""

from __future__ import annotations

from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """First day of the month `months` after `day`'s month (before it when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """Last day of `day`'s month."""
    return add_months(day, 1) - timedelta(days=1)


def days_in_month(day: date) -> int:
    return month_end(day).day


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from `first`'s to `last`'s, inclusive."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def month_bounds(month: str) -> tuple[date, date]:
    """`2026-03` -> (2026-03-01, 2026-03-31)."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return first, month_end(first)


def quarter_label(month: str) -> str:
    """`2026-04` (or a day `2026-04-01`) -> `2026Q2`."""
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def quarter_first_month(label: str) -> str:
    """`2026Q2` -> `2026-04`."""
    return f"{label[:4]}-{(int(label[-1]) - 1) * 3 + 1:02d}"


def quarter_months(month: str) -> list[str]:
    """Months of the quarter that contains `month`, up to and including it."""
    q = (int(month[5:7]) - 1) // 3
    return [f"{month[:4]}-{m:02d}" for m in range(q * 3 + 1, int(month[5:7]) + 1)]


def period_bounds(kind: str, period: str) -> tuple[date, date]:
    """First and last day of a period of `kind` (daily, monthly, quarterly, yearly)."""
    if kind == "daily":
        d = date.fromisoformat(period)
        return d, d
    if kind == "monthly":
        return month_bounds(period)
    if kind == "quarterly":
        first = date.fromisoformat(quarter_first_month(period) + "-01")
        return first, month_end(add_months(first, 2))
    y = int(period[:4])
    return date(y, 1, 1), date(y, 12, 31)
