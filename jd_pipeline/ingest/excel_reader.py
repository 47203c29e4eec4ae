"""Excel reader (`.xlsx`, `.xls`): python-calamine, first visible sheet, rows into Arrow.

The rows wait in the batch's StageBuffer and reach `_stage_all` with the other waiting
workbooks' in one insert (`StageBuffer.flush_workbooks`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = repr(value)
        # Small numbers in positional form (1e-05 is no number form of sources.md); big ones keep
        # their exponent: a 20-digit ID read as a number is an Excel-mangled ID.
        return format(Decimal(text), "f") if "e" in text and abs(value) < 1e16 else text
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


def _control_cells(texts: list[str | None], labels: list[str]) -> str:
    bad = [
        labels[i] if i < len(labels) else f"column {i + 1}"
        for i, t in enumerate(texts)
        if t is not None and CONTROL_RE.search(t)
    ]
    return f"control character (NUL or another byte below 0x20) in {', '.join(bad)}"


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
    wanted = sorted({m.index for m in mapped.values()})
    data: dict[int, list[str | None]] = {i: [] for i in wanted}
    row_numbers: list[int] = []
    flags: list[str | None] = []
    rn = 0
    for row in (*head[h + 1 :], *rows_iter):
        rn += 1
        texts = [_cell_text(v) for v in row]
        if not any(t is not None and t.strip() for t in texts):
            continue  # blank rows (Excel trailing rows) are not data
        row_numbers.append(rn)
        flags.append(
            _control_cells(texts, labels) if CONTROL_RE.search("\t".join(t for t in texts if t)) else None
        )
        for i in wanted:
            data[i].append(texts[i] if i < len(texts) else None)
    n = len(row_numbers)
    if formulas:
        # calamine yields rows from sheet row 1 (leading empty rows included) unless its range
        # says otherwise: the sheet row of data row `rn` is h + rn + 1 + offset.
        start = sheet.start  # None only for an empty sheet, and this one has rows
        offset = start[0] if start is not None and h + 1 + rn == sheet.height else 0
        for k, r in enumerate(row_numbers):
            cells = formulas.get(h + r + 1 + offset)
            if cells:
                problem = "formula without a cached value in cell " + ", ".join(cells)
                flags[k] = problem if flags[k] is None else f"{flags[k]}; {problem}"
    columns: dict[str, pa.Array] = {
        "_file": pa.array([target.index] * n, pa.int32()),
        "_period": pa.array([target.period] * n, pa.string()),
        "_pstart": pa.array([target.pstart] * n, pa.date32()),
        "_pend": pa.array([target.pend] * n, pa.date32()),
        "_rn": pa.array(row_numbers, pa.int64()),
        "_flag": pa.array(flags, pa.string()),
    }
    for col in contract.stored_columns:
        m = mapped.get(col.stored_name)
        columns[col.stored_name] = pa.array(data[m.index] if m else [None] * n, pa.string())
    for col in contract.stored_columns:
        if col.type == "percent":
            m = mapped.get(col.stored_name)
            columns[col.stored_name + "__pct"] = pa.array([bool(m and m.percent_header)] * n, pa.bool_())
    buffer = target.buffer
    base = buffer.rows
    buffer.waiting.append((target.index, pa.table(columns)))
    buffer.rows += n
    buffer.waiting_rows += n
    return Staged(columns=mapped, encoding=lf.kind, notes=notes, base=base)
