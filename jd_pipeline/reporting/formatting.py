"""How a value reads in a report: money with 元 / 万元 / 亿元, rates as %, dates as dates.

One place for the HTML tables, the key-number cards and the chart axes, so a figure reads the
same everywhere. Excel keeps the exact values and gets the matching number formats instead.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from jd_pipeline.reporting.model import Format

WAN = 10_000
YI = 100_000_000
# A money column whose largest absolute value reaches this is shown in 万元 (two decimals).
WAN_COLUMN_FROM = 1_000_000
# A headline money figure from this size on is shown in 万元, from YI on in 亿元.
WAN_CARD_FROM = 100_000

PENDING = "待总账"
MISSING = "–"


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return isinstance(value, float) and math.isnan(value) or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def to_float(value: object) -> float:
    """`float(value)` of a cell of any type (Decimal, numpy, pandas and Python numbers, numeric text);
    TypeError or ValueError when it is not a number, as `float` itself decides."""
    # `float` accepts any object with __float__ or __index__ or numeric text; the cells come from
    # pandas and DuckDB typed as `object`, so the check is float's own at run time.
    return float(value)  # type: ignore[arg-type]  # float decides at run time (see above)


def money_scale(values: list[object]) -> tuple[float, str]:
    """(divisor, unit) for a money column: 万元 when its largest value is large, else 元."""
    numbers = []
    for v in values:
        try:
            numbers.append(abs(to_float(v)))
        except (TypeError, ValueError):
            continue  # missing, or a pending marker (待总账)
    biggest = max((n for n in numbers if not math.isnan(n)), default=0.0)
    return (WAN, "万元") if biggest >= WAN_COLUMN_FROM else (1, "元")


def card_money(value: float) -> tuple[str, str]:
    """(number, unit) of a headline money figure."""
    if abs(value) >= YI:
        return f"{value / YI:,.2f}", "亿元"
    if abs(value) >= WAN_CARD_FROM:
        return f"{value / WAN:,.2f}", "万元"
    return f"{value:,.2f}", "元"


def as_date(value: object) -> date | None:
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        return pd.Timestamp(str(value)).date()
    except (ValueError, TypeError):
        return None


def cn_day(value: object) -> str:
    """2026-06-03 -> 6月3日."""
    d = as_date(value)
    return f"{d.month}月{d.day}日" if d else MISSING


def fmt_value(value: object, fmt: Format, divisor: float = 1) -> str:
    """A cell's text (without unit; the column header carries it)."""
    if is_missing(value):
        return MISSING
    if fmt == "text":
        return str(value)
    if fmt == "date":
        d = as_date(value)
        return d.isoformat() if d else str(value)
    if fmt == "bool":
        return "是" if bool(value) else "否"
    try:
        v = to_float(value)
    except (TypeError, ValueError):
        return str(value)
    if fmt == "money":
        return f"{v / divisor:,.2f}"
    if fmt == "int":
        return f"{v:,.0f}"
    if fmt == "pct":
        return f"{v:.1%}"
    if fmt == "ratio":
        return f"{v:,.2f}"
    return f"{v:,.2f}"


def axis_unit(max_abs: float) -> tuple[float, str]:
    """(divisor, suffix) for a chart's value axis: one unit for all ticks of the axis."""
    if max_abs >= YI:
        return YI, "亿"
    if max_abs >= WAN:
        return WAN, "万"
    return 1, ""


def axis_label(value: float, divisor: float, suffix: str) -> str:
    scaled = value / divisor
    text = f"{scaled:,.1f}".rstrip("0").rstrip(".") if divisor > 1 else f"{scaled:,.0f}"
    return f"{text}{suffix}" if value else "0"
