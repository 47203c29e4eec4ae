"""Column-spec tables and vectorized value formatting (Arrow compute, no per-row Python).

A generated file is a `Sheet`: an ordered list of `Col`, each a header plus an Arrow string
array of the cell texts exactly as they will appear (null = empty cell). Writers
(`writers.py`) turn a sheet into CSV or xlsx bytes; faults (`faults.py`) edit cells or headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class Col:
    header: str
    values: pa.Array
    numeric: bool = False  # xlsx: cells that parse as numbers are written as numeric cells
    quote_check: bool | None = None  # CSV: look for separators/quotes (default: text columns only)
    parts: list[Col] | None = None  # a group: `values` are the parts' CSV fields, already joined by ","

    @property
    def needs_quote_check(self) -> bool:
        return (not self.numeric) if self.quote_check is None else self.quote_check


@dataclass
class Sheet:
    cols: list[Col]
    total_rows: list[int] = field(default_factory=list)  # 0-based data rows that are 合计/subtotal rows

    @property
    def n_rows(self) -> int:
        return len(self.cols[0].values) if self.cols else 0

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.expanded().cols]

    def expanded(self) -> Sheet:
        """The sheet with column groups replaced by their parts (for faults and xlsx)."""
        if not any(c.parts for c in self.cols):
            return self
        cols = [p for c in self.cols for p in (c.parts or [c])]
        return Sheet(cols, list(self.total_rows))

    def col(self, header: str) -> Col:
        for c in self.cols:
            if c.header.strip() == header:
                return c
        raise KeyError(header)

    def append_rows(self, rows: list[dict[str, str | None]], total: bool = True) -> None:
        """Append literal rows (totals, subtotals); missing headers are empty."""
        start = self.n_rows
        for c in self.cols:
            extra = pa.array([r.get(c.header) for r in rows], pa.string())
            c.values = pa.concat_arrays([_as_string(c.values), extra])
        if total:
            self.total_rows.extend(range(start, start + len(rows)))

    def take(self, idx: np.ndarray) -> Sheet:
        ix = pa.array(idx)
        return Sheet([Col(c.header, c.values.take(ix), c.numeric, c.quote_check) for c in self.cols])


def _as_string(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a if a.type == pa.string() else pc.cast(a, pa.string())


def text(values: np.ndarray | list[str] | pa.Array) -> pa.Array:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return _as_string(values)
    return pa.array(values, pa.string())


def const(value: str | None, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def pick(choices: list[str] | pa.Array, idx: np.ndarray) -> pa.Array:
    """choices[idx] for an index array: categorical text without per-row Python."""
    arr = choices if isinstance(choices, pa.Array) else pa.array(choices, pa.string())
    return arr.take(pa.array(np.asarray(idx, np.int64)))


def ints(a: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(a, np.int64)), pa.string())


_SMALL_INTS = pa.array([str(i) for i in range(1000)], pa.string())


def counts(a: np.ndarray) -> pa.Array:
    """Non-negative counts, mostly small: a lookup instead of a cast."""
    a = np.asarray(a, np.int64)
    if len(a) and (a.min() < 0 or a.max() >= 1000):
        return ints(a)
    return _SMALL_INTS.take(pa.array(a))


def sparse(fmt, values: np.ndarray, zero: str) -> pa.Array:
    """Format only the non-zero values (most attribution cells are 0)."""
    values = np.asarray(values)
    nz = values != 0
    base = const(zero, len(values))
    if not nz.any():
        return base
    return pc.replace_with_mask(base, pa.array(nz), fmt(values[nz]))


def _decimal(scaled: np.ndarray, scale: int) -> pa.Array:
    """int64 already multiplied by 10**scale -> decimal128(18, scale) without conversion."""
    lo = np.asarray(scaled, np.int64)
    buf = np.empty(2 * len(lo), np.int64)
    buf[0::2] = lo
    buf[1::2] = np.where(lo < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(lo), [None, pa.py_buffer(buf)])


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents -> `1234.50` (exact, always 2 decimals)."""
    return pc.cast(_decimal(cents, 2), pa.string())


def decimal(x: np.ndarray, places: int = 2) -> pa.Array:
    scaled = np.rint(np.asarray(x, np.float64) * 10**places).astype(np.int64)
    return pc.cast(_decimal(scaled, places), pa.string())


def pct(num: np.ndarray, den: np.ndarray, places: int = 2) -> pa.Array:
    """A ratio as a percent string `3.25%`; `0.00%` when the denominator is 0."""
    num = np.asarray(num, np.float64)
    den = np.asarray(den, np.float64)
    r = np.divide(num, den, out=np.zeros_like(num), where=den != 0) * 100
    return pc.binary_join_element_wise(decimal(r, places), "%", "")


def ratio(num: np.ndarray, den: np.ndarray, places: int = 2, empty: str | None = None) -> pa.Array:
    num = np.asarray(num, np.float64)
    den = np.asarray(den, np.float64)
    r = decimal(np.divide(num, den, out=np.zeros_like(num), where=den != 0), places)
    if empty is None:
        return r
    return pc.if_else(pa.array(den == 0), pa.scalar(empty), r)


def dates(days: np.ndarray | date, n: int | None = None) -> pa.Array:
    """datetime64[D] (or one date repeated n times) -> `YYYY-MM-DD`."""
    if isinstance(days, date):
        return const(days.isoformat(), n or 0)
    return pc.cast(pa.array(np.asarray(days, "datetime64[D]")), pa.string())


def timestamps(secs: np.ndarray) -> pa.Array:
    """datetime64[s] -> `YYYY-MM-DD HH:MM:SS`."""
    return pc.cast(pa.array(np.asarray(secs, "datetime64[s]")), pa.string())


def where(mask: np.ndarray, a: pa.Array | str | None, b: pa.Array | str | None) -> pa.Array:
    def _v(x: pa.Array | str | None) -> pa.Array | pa.Scalar:
        return x if isinstance(x, (pa.Array, pa.ChunkedArray)) else pa.scalar(x, pa.string())

    return _as_string(pc.if_else(pa.array(np.asarray(mask, bool)), _v(a), _v(b)))


def concat(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def zpad(a: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(ints(a), width, "0")


def to_np_date(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")
