"""Excel reader (`.xlsx`, `.xls`): python-calamine, first visible sheet, rows into Arrow.

The rows wait in the batch's StageBuffer and reach `_stage_all` with the other waiting
workbooks' in one insert (`StageBuffer.flush_workbooks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from itertools import zip_longest
from typing import Any

import duckdb
import pyarrow as pa

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.csv_encoding import XLS_MAGIC, XLSX_MAGIC
from jd_pipeline.ingest.headers import column_labels, header_row, map_headers
from jd_pipeline.ingest.landing import LandingFile
from jd_pipeline.ingest.messages import FileRejected, safe_error
from jd_pipeline.ingest.stage_buffer import Staged, StageTarget
from jd_pipeline.ingest.tolerant import CONTROL_RE
from jd_pipeline.ingest.xlsx_cells import formulas_without_value


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    # Small numbers in positional form (1e-05 is no number form of sources.md); big ones keep
    # their exponent: a 20-digit ID read as a number is an Excel-mangled ID.
    return format(Decimal(text), "f") if "e" in text and abs(value) < 1e16 else text


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds() / 86400)
    return str(value)


def _check_magic(lf: LandingFile, where: str) -> None:
    with lf.path.open("rb") as fh:
        head = fh.read(512)
    if not head:
        raise FileRejected(f"{where}: empty file (0 bytes)")
    if lf.kind == "xlsx" and not head.startswith(XLSX_MAGIC):
        looks = "CSV/text" if not head.startswith(XLS_MAGIC) else "an old .xls workbook"
        raise FileRejected(f"{where}: not an .xlsx workbook (content looks like {looks})")
    if lf.kind == "xls" and not head.startswith((XLS_MAGIC, XLSX_MAGIC)):
        looks = "HTML" if b"<" in head[:64] else "CSV/text"
        raise FileRejected(f"{where}: not an .xls workbook (content looks like {looks})")


def _first_visible_sheet(workbook: Any, where: str) -> str:
    """The first visible worksheet: a hidden first sheet often holds stale or helper data."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for meta in workbook.sheets_metadata:
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return str(meta.name)
    raise FileRejected(f"{where}: the workbook has no visible worksheet")


def _formula_flags(lf: LandingFile, sheet: str, where: str) -> dict[int, list[str]]:
    """{1-based sheet row: cells} of formulas without a cached value (.xlsx only: .xls always
    stores formula results)."""
    if lf.kind != "xlsx":
        return {}
    try:
        return formulas_without_value(lf.path, sheet)
    except Exception as exc:  # noqa: BLE001 - a broken part: calamine read it, the check cannot
        raise FileRejected(
            f"{where}: workbook XML cannot be checked for formulas: {safe_error(exc)}"
        ) from None


def _control_cells(bad: list[str]) -> str:
    return f"control character (NUL or another byte below 0x20) in {', '.join(bad)}"


# Cell types whose `_cell_text` can never hold a control character (digits, ISO dates, TRUE/FALSE).
_NO_CONTROL_TYPES: frozenset[type] = frozenset(
    {type(None), float, int, bool, dt.datetime, dt.date, dt.time, dt.timedelta}
)
_STR_TYPES: frozenset[type] = frozenset({str, type(None)})


def _column_texts(column: Sequence[Any], types: set[type]) -> list[str | None]:
    """`_cell_text` of every cell of one column, without a Python call per cell where the
    column's types allow it (a sheet has ~10 columns and thousands of rows)."""
    if types <= _STR_TYPES:
        return [v or None for v in column]  # a string is its own text; "" is no value
    other = types - _STR_TYPES
    if len(other) == 1:
        # One non-string type: no two distinct cells compare equal with different texts (1 == 1.0
        # == True is the collision a mixed column would have), so each distinct value is
        # converted once. Quantities and dates repeat a lot.
        if other == {float}:  # the usual number column, with "" for empty cells
            text = {v: _float_text(v) if v.__class__ is float else v or None for v in set(column)}
        else:
            text = {v: _cell_text(v) for v in set(column)}
        return list(map(text.__getitem__, column))
    return list(map(_cell_text, column))


def _blank_rows(columns: list[tuple[Any, ...]], types: list[set[type]], n: int) -> list[int]:
    """Rows (0-based) whose every cell is empty or whitespace: Excel's trailing rows, no data.
    Column by column: the first column with a value usually rules out nearly every row."""
    if any(not t & _STR_TYPES for t in types):
        return []  # a column of numbers or dates only: every row has a value
    blank: Sequence[int] = range(n)
    for column in columns:
        blank = [k for k in blank if (v := column[k]) is None or (isinstance(v, str) and not v.strip())]
        if not blank:
            break
    return list(blank)


def _control_flags(
    columns: list[tuple[Any, ...]],
    types: list[set[type]],
    texts: dict[int, list[str | None]],
    labels: list[str],
) -> dict[int, str]:
    """{row (0-based): flag} of rows with a control character in any column, mapped or not;
    the flag names the columns in column order."""
    bad: dict[int, list[str]] = {}
    for i, column in enumerate(columns):
        column_texts: Sequence[str | None]
        if i in texts:
            column_texts = texts[i]
        elif types[i] <= _NO_CONTROL_TYPES:
            continue
        else:
            column_texts = column if types[i] <= _STR_TYPES else _column_texts(column, types[i])
        # One search over the joined column: a control character is rare, a search per cell not.
        if not CONTROL_RE.search("\t".join(filter(None, column_texts))):
            continue
        label = labels[i] if i < len(labels) else f"column {i + 1}"
        for k, t in enumerate(column_texts):
            if t and CONTROL_RE.search(t):
                bad.setdefault(k, []).append(label)
    return {k: _control_cells(names) for k, names in bad.items()}


def _add_formula_flags(
    flags: list[str | None], formulas: dict[int, list[str]], kept: Sequence[int], first_row: int
) -> None:
    """Append the formula problem to the flags of kept rows (0-based `k` is sheet row
    `first_row + k`)."""
    for k in kept:
        cells = formulas.get(first_row + k)
        if cells:
            problem = "formula without a cached value in cell " + ", ".join(cells)
            flags[k] = problem if flags[k] is None else f"{flags[k]}; {problem}"


def stage_excel(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    lf: LandingFile,
    salt: str | None,
    target: StageTarget,
) -> Staged:
    from python_calamine import CalamineWorkbook

    where = lf.relpath
    _check_magic(lf, where)
    try:
        workbook = CalamineWorkbook.from_path(str(lf.path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise FileRejected(f"{where}: workbook cannot be read: {safe_error(exc)}") from None
    sheet_name = _first_visible_sheet(workbook, where)
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        rows_iter = iter(sheet.iter_rows())
        head = [row for _, row in zip(range(20), rows_iter)]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise FileRejected(f"{where}: workbook cannot be read: {safe_error(exc)}") from None
    if not any(_cell_text(v) for row in head for v in row):
        raise FileRejected(f"{where}: the first visible sheet is empty")
    h = header_row(contract, head)
    mapped, notes = map_headers(contract, head[h], where)
    labels = column_labels(contract, ["" if v is None else str(v) for v in head[h]])
    formulas = _formula_flags(lf, sheet_name, where)
    rows = [*head[h + 1 :], *rows_iter]
    total = len(rows)
    # Column-wise from here: C-level transpose; a row shorter than the others reads None past
    # its end, which is what an absent cell is.
    columns = list(zip_longest(*rows))
    del rows
    types = [set(map(type, column)) for column in columns]
    texts = {
        m.index: _column_texts(columns[m.index], types[m.index])
        for m in mapped.values()
        if m.index < len(columns)
    }
    blank = _blank_rows(columns, types, total)
    flags: list[str | None] = [None] * total
    for k, flag in _control_flags(columns, types, texts, labels).items():
        flags[k] = flag
    kept: Sequence[int] = range(total)
    if blank:
        skip = set(blank)
        kept = [k for k in range(total) if k not in skip]
    if formulas:
        # calamine yields rows from sheet row 1 (leading empty rows included) unless its range
        # says otherwise: data row k (0-based) is sheet row h + k + 2 + offset.
        start = sheet.start  # None only for an empty sheet, and this one has rows
        offset = start[0] if start is not None and h + 1 + total == sheet.height else 0
        _add_formula_flags(flags, formulas, kept, h + 2 + offset)
    n = total
    columns_out: dict[str, pa.Array] = {
        "_file": pa.array([target.index] * n, pa.int32()),
        "_period": pa.array([target.period] * n, pa.string()),
        "_pstart": pa.array([target.pstart] * n, pa.date32()),
        "_pend": pa.array([target.pend] * n, pa.date32()),
        "_rn": pa.array(range(1, n + 1), pa.int64()),
        "_flag": pa.array(flags, pa.string()),
    }
    for col in contract.stored_columns:
        m = mapped.get(col.stored_name)
        values = texts.get(m.index) if m else None
        columns_out[col.stored_name] = pa.array(values if values is not None else [None] * n, pa.string())
    for col in contract.stored_columns:
        if col.type == "percent":
            m = mapped.get(col.stored_name)
            columns_out[col.stored_name + "__pct"] = pa.array([bool(m and m.percent_header)] * n, pa.bool_())
    table = pa.table(columns_out)
    if blank:
        # Blank rows are not data: dropped, and their row numbers are not reused.
        table = table.take(pa.array(kept, pa.int64()))
    n = table.num_rows
    buffer = target.buffer
    base = buffer.rows
    buffer.waiting.append((target.index, table))
    buffer.rows += n
    buffer.waiting_rows += n
    return Staged(columns=mapped, encoding=lf.kind, notes=notes, base=base)
