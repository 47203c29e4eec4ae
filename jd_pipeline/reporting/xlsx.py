"""The xlsx of a report: a 说明 sheet, then one sheet per table, values (never formulas).

Headers are the Chinese labels with their unit, number formats follow the column kind (money
`#,##0.00` in 元, counts `#,##0`, rates `0.0%`, dates `yyyy-mm-dd`), widths follow the content,
the header row is frozen. Money stays in 元 here (exact); the HTML may show 万元.
"""

from __future__ import annotations

import io
import unicodedata

import xlsxwriter

from jd_pipeline.reporting.formatting import PENDING, as_date, fmt_value, is_missing, to_float
from jd_pipeline.reporting.model import Format, Report, Table

EXCEL_FORMATS: dict[Format, str] = {
    "money": "#,##0.00",
    "int": "#,##0",
    "pct": "0.0%",
    "ratio": "0.00",
    "num": "#,##0.00",
    "date": "yyyy-mm-dd",
    "bool": "@",
    "text": "@",
}
MIN_WIDTH, MAX_WIDTH = 8, 60


def display_width(text: str) -> int:
    """Excel column width of a text: CJK (wide) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.cache: dict[str, object] = {}
        self.header = book.add_format(
            {"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.banner = book.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFEB9C"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})

    def of(self, fmt: Format) -> object:
        if fmt not in self.cache:
            self.cache[fmt] = self.book.add_format({"num_format": EXCEL_FORMATS[fmt]})
        return self.cache[fmt]


def _write(ws, row: int, col: int, value: object, fmt: Format, formats: _Formats) -> str:
    """Write one value as its kind; return the text it shows (for the column width)."""
    if is_missing(value):
        ws.write_blank(row, col, None, formats.of(fmt))
        return ""
    if fmt == "date":
        d = as_date(value)
        if d is not None:
            ws.write_datetime(row, col, d, formats.of("date"))
            return d.isoformat()
    if fmt in ("money", "int", "pct", "ratio", "num"):
        try:
            number = to_float(value)
        except (TypeError, ValueError):
            ws.write_string(row, col, str(value))
            return str(value)
        ws.write_number(row, col, number, formats.of(fmt))
        return fmt_value(number, fmt)
    text = fmt_value(value, "bool") if fmt == "bool" else str(value)
    ws.write_string(row, col, text)
    return text


def _table_sheet(book: xlsxwriter.Workbook, formats: _Formats, table: Table) -> None:
    from jd_pipeline.reporting.render import column_header

    ws = book.add_worksheet(table.sheet)
    cols = list(table.frame.columns)
    widths = []
    for j, col in enumerate(cols):
        header = column_header(table, col)
        ws.write_string(0, j, header, formats.header)
        widths.append(display_width(header))
    for i, record in enumerate(table.frame.itertuples(index=False, name=None)):
        for j, (col, value) in enumerate(zip(cols, record)):
            shown = _write(ws, i + 1, j, value, table.format_of(col, i), formats)
            widths[j] = max(widths[j], display_width(shown))
    for j, width in enumerate(widths):
        ws.set_column(j, j, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))
    ws.freeze_panes(1, 0)


def _summary_sheet(book: xlsxwriter.Workbook, formats: _Formats, report: Report) -> None:
    """说明: title, open-period banners, the key numbers in their own formats, notes, sources."""
    ws = book.add_worksheet("说明")
    ws.write_string(0, 0, report.title, formats.title)
    ws.write_string(1, 0, report.subtitle)
    row = 2
    for banner in report.banners:
        ws.write_string(row, 0, banner, formats.banner)
        row += 1
    row += 1
    header_row = row
    for j, text in enumerate(("指标", "数值", "说明")):
        ws.write_string(row, j, text, formats.header)
    widths = [display_width("指标"), 14, display_width("说明")]
    for k in report.key_numbers:
        row += 1
        ws.write_string(row, 0, k.label)
        if k.pending:
            ws.write_string(row, 1, PENDING)
            shown = PENDING
        else:
            shown = _write(ws, row, 1, k.value, k.fmt, formats)
        unit = "元" if k.fmt == "money" and not k.pending else ""
        note = " · ".join(x for x in (unit, k.note) if x)
        ws.write_string(row, 2, note)
        widths = [
            max(widths[0], display_width(k.label)),
            max(widths[1], display_width(shown)),
            max(widths[2], display_width(note)),
        ]
    row += 2
    notes = [n for s in report.sections for n in s.notes] + [
        t.note for s in report.sections for t in s.tables if t.note
    ]
    for note in notes:
        ws.write_string(row, 0, note)
        row += 1
    ws.write_string(row + 1, 0, "数据来源: " + ", ".join(report.sources))
    for j, width in enumerate(widths):
        ws.set_column(j, j, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))
    ws.freeze_panes(header_row + 1, 0)


def render_xlsx(report: Report) -> bytes:
    buf = io.BytesIO()
    # strings stay strings: a value starting with '=' is text, never a formula
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = _Formats(book)
    _summary_sheet(book, formats, report)
    for section in report.sections:
        for table in section.tables:
            _table_sheet(book, formats, table)
    book.close()
    return buf.getvalue()
