"""One writer per file kind, driven by the sheet's columns: CSV (any encoding, BOM or not) and xlsx.

The xlsx writer is a minimal, hand-written SpreadsheetML package (inline strings, one sheet)
assembled with Arrow string kernels; it is byte-deterministic (fixed zip timestamps, no
volatile metadata) and opens in openpyxl and python-calamine.
"""

from __future__ import annotations

import calendar
import io
import os
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from jd_pipeline.generate.frames import Col, Sheet

CSV_NEEDS_QUOTE = r'[,"\r\n]'
NUMBER_RE = r"^-?[0-9]+(\.[0-9]+)?$"


# ---------------------------------------------------------------------------------------- CSV
def _csv_field(values: pa.Array, check: bool = True) -> pa.Array:
    v = pc.fill_null(values, "")
    if not check:
        return v
    mask = pc.match_substring_regex(v, CSV_NEEDS_QUOTE)
    if not pc.any(mask).as_py():
        return v
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(v, '"', '""'), '"', "")
    return pc.if_else(mask, quoted, v)


_NEEDS_QUOTE = re.compile(CSV_NEEDS_QUOTE)


def _csv_line(fields: list[str]) -> str:
    line = ",".join(fields)
    if len(line) - line.count(",") == sum(map(len, fields)) and not _NEEDS_QUOTE.search(
        line.replace(",", "")
    ):
        return line
    return ",".join('"' + f.replace('"', '""') + '"' if _NEEDS_QUOTE.search(f) else f for f in fields)


SMALL_CELLS = 6_000  # below this many cells, plain Python beats Arrow's per-call overhead


def _columns_py(sheet: Sheet) -> list[list[str | None]]:
    return [c.values.to_pylist() for c in sheet.cols]


def csv_group(cols: list[Col]) -> Col:
    """Pre-render columns that several files share (e.g. every 京准通 pull of a day) as one CSV group."""
    fields = [_csv_field(c.values, c.needs_quote_check) for c in cols]
    joined = pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0]
    return Col(",".join(c.header for c in cols), joined, False, False, parts=cols)


def csv_body(sheet: Sheet, newline: str = "\r\n") -> bytes:
    """The data lines (UTF-8), each ending in `newline`."""
    if sheet.n_rows == 0:
        return b""
    if any(c.parts for c in sheet.cols) and sheet.n_rows * len(sheet.cols) > SMALL_CELLS:
        fields = [c.values if c.parts else _csv_field(c.values, c.needs_quote_check) for c in sheet.cols]
        line = pc.binary_join_element_wise(*fields, pa.scalar(newline), ",")
        line = pc.utf8_replace_slice(line, -len(newline) - 1, -len(newline), "")  # drop "," before newline
        line = line.combine_chunks() if isinstance(line, pa.ChunkedArray) else line
        off = np.frombuffer(line.buffers()[1], np.int32, count=len(line) + 1, offset=line.offset * 4)
        return line.buffers()[2].to_pybytes()[off[0] : off[-1]]
    sheet = sheet.expanded()
    if sheet.n_rows * len(sheet.cols) <= SMALL_CELLS:
        cols = _columns_py(sheet)
        lines = [_csv_line(["" if v is None else v for v in row]) for row in zip(*cols)]
        return (newline.join(lines) + newline).encode("utf-8")
    checks = [c.needs_quote_check for c in sheet.cols]
    needs = any(
        pc.any(pc.match_substring_regex(c.values, CSV_NEEDS_QUOTE)).as_py()
        for c, k in zip(sheet.cols, checks)
        if k
    )
    if not needs:  # Arrow's CSV writer: fastest path, nothing to quote
        table = pa.table({f"c{i}": c.values for i, c in enumerate(sheet.cols)})
        buf = io.BytesIO()
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none", eol=newline, batch_size=1 << 16)
        pacsv.write_csv(table, buf, opts)
        return buf.getvalue()
    fields = [_csv_field(c.values, k) for c, k in zip(sheet.cols, checks)]
    line = pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0]
    line = pc.binary_join_element_wise(line, pa.scalar(newline), "")
    line = line.combine_chunks() if isinstance(line, pa.ChunkedArray) else line
    off = np.frombuffer(line.buffers()[1], np.int32, count=len(line) + 1, offset=line.offset * 4)
    return line.buffers()[2].to_pybytes()[off[0] : off[-1]]


def render_csv(sheet: Sheet, encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n") -> bytes:
    header = (_csv_line(sheet.headers) + newline).encode("utf-8")
    body = csv_body(sheet, newline)
    if encoding.lower().replace("-", "") not in ("utf8", "utf8sig"):
        return (header + body).decode("utf-8").encode(encoding)
    return b"".join([b"\xef\xbb\xbf" if bom else b"", header, body])


# --------------------------------------------------------------------------------------- xlsx
def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _xml_escape(v: pa.Array) -> pa.Array:
    v = pc.replace_substring(v, "&", "&amp;")
    v = pc.replace_substring(v, "<", "&lt;")
    return pc.replace_substring(v, ">", "&gt;")


def _xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xlsx_cells(values: pa.Array, letter: str, rn: pa.Array, numeric: bool) -> pa.Array:
    ref = pc.binary_join_element_wise(f'<c r="{letter}', rn, "")
    str_cell = pc.binary_join_element_wise(
        ref, '" t="inlineStr"><is><t>', _xml_escape(pc.fill_null(values, "")), "</t></is></c>", ""
    )
    if numeric:
        is_num = pc.fill_null(pc.match_substring_regex(values, NUMBER_RE), False)
        num_cell = pc.binary_join_element_wise(ref, '"><v>', pc.fill_null(values, ""), "</v></c>", "")
        str_cell = pc.if_else(is_num, num_cell, str_cell)
    empty = pc.or_(pc.is_null(values), pc.equal(pc.fill_null(values, ""), ""))
    return pc.if_else(empty, pa.scalar(""), str_cell)


_NUMBER = re.compile(NUMBER_RE)


def _rows_xml_py(sheet: Sheet) -> bytes:
    letters = [_col_letter(i) for i in range(len(sheet.cols))]
    numeric = [c.numeric for c in sheet.cols]
    out = []
    for i, row in enumerate(zip(*_columns_py(sheet)), start=2):
        cells = []
        for letter, num, v in zip(letters, numeric, row):
            if v is None or v == "":
                continue
            if num and _NUMBER.match(v):
                cells.append(f'<c r="{letter}{i}"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{letter}{i}" t="inlineStr"><is><t>{_xml_text(v)}</t></is></c>')
        out.append(f'<row r="{i}">{"".join(cells)}</row>')
    return "".join(out).encode()


def sheet_xml(sheet: Sheet) -> bytes:
    n = sheet.n_rows
    head = "".join(
        f'<c r="{_col_letter(i)}1" t="inlineStr"><is><t>{_xml_text(h)}</t></is></c>'
        for i, h in enumerate(sheet.headers)
    )
    out = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{head}</row>'
    ).encode()
    if n and n * len(sheet.cols) <= SMALL_CELLS:
        out += _rows_xml_py(sheet)
    elif n:
        rn = pc.cast(pa.array(np.arange(2, n + 2, dtype=np.int64)), pa.string())
        cells = [_xlsx_cells(c.values, _col_letter(i), rn, c.numeric) for i, c in enumerate(sheet.cols)]
        rows = pc.binary_join_element_wise('<row r="', rn, '">', *cells, "</row>", "")
        rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
        off = np.frombuffer(rows.buffers()[1], np.int32, count=len(rows) + 1, offset=rows.offset * 4)
        out += rows.buffers()[2].to_pybytes()[off[0] : off[-1]]
    return out + b"</sheetData></worksheet>"


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(sheet_name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_xml_text(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes for the same seed: no wall-clock timestamps


def _static_parts(sheet_name: str) -> tuple[tuple[str, bytes], ...]:
    return (
        ("[Content_Types].xml", _CONTENT_TYPES.encode()),
        ("_rels/.rels", _RELS.encode()),
        ("xl/workbook.xml", _workbook(sheet_name).encode()),
        ("xl/_rels/workbook.xml.rels", _WB_RELS.encode()),
        ("xl/styles.xml", _STYLES.encode()),
    )


def render_xlsx(sheet: Sheet, sheet_name: str = "Sheet1", level: int = 1) -> bytes:
    """The workbook as xlsx bytes: a deterministic zip, the sheet deflated at `level` (1: fast; the
    generator writes thousands of files)."""
    sheet = sheet.expanded()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in _static_parts(sheet_name):
            _write_member(archive, name, data, 6)
        _write_member(archive, "xl/worksheets/sheet1.xml", sheet_xml(sheet), level)
    return buffer.getvalue()


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes, level: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=level)


# ------------------------------------------------------------------------------------ on disk
def delivery_epoch(day: date, hour: int = 6) -> int:
    """Seconds since epoch of `day` at `hour`:00 Asia/Shanghai (UTC+8): a file's mtime."""
    dt = datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)
    return calendar.timegm(dt.timetuple())


def write_bytes(path: Path, data: bytes, delivered: date, hour: int = 6, mkdir: bool = True) -> None:
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    ts = delivery_epoch(delivered, hour)
    os.utime(path, (ts, ts))
