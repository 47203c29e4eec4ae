"""Render a `Report` to one self-contained HTML file (charts inline) and an xlsx workbook."""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import datetime
from importlib import resources
from string import Template

import pandas as pd

from jd_pipeline.reporting.model import Format, KeyNumber, Report, Section, Table

EXCEL_FORMATS: dict[Format, str] = {
    "money": "#,##0.00", "int": "#,##0", "pct": "0.0%", "ratio": "0.00", "num": "#,##0.00", "text": "@",
}


def fmt_value(value: object, fmt: Format) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if fmt == "text":
        return str(value)
    try:
        v = float(value)  # Decimal, numpy and Python numbers
    except (TypeError, ValueError):
        return str(value)
    if fmt == "money":
        return f"{v:,.2f}"
    if fmt == "int":
        return f"{v:,.0f}"
    if fmt == "pct":
        return f"{v:.1%}"
    if fmt == "ratio":
        return f"{v:.2f}"
    return f"{v:,.2f}"


def _raw(value: object) -> str:
    try:
        return repr(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def _table_html(table: Table) -> str:
    cols = list(table.frame.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = []
    for record in table.frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(cols, record):
            fmt = table.formats.get(col, "text")
            cls = ' class="num"' if fmt != "text" else ""
            raw = f' data-value="{_raw(value)}"' if fmt != "text" else ""
            cells.append(f'<td{cls} data-col="{html.escape(str(col))}"{raw}>{html.escape(fmt_value(value, fmt))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<h3>{html.escape(table.title)}</h3><table data-table="{html.escape(table.sheet)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _kpis_html(numbers: list[KeyNumber]) -> str:
    items = [
        f'<div class="kpi" data-key="{html.escape(k.key)}" data-value="{_raw(k.value)}">'
        f'<div class="label">{html.escape(k.label)}</div><div class="value">{html.escape(fmt_value(k.value, k.fmt))}</div></div>'
        for k in numbers
    ]
    return f'<div class="kpis">{"".join(items)}</div>' if items else ""


def _section_html(section: Section) -> str:
    parts = [f"<section><h2>{html.escape(section.title)}</h2>"]
    for chart in section.charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(f'<img alt="{html.escape(chart.title)}" src="data:image/png;base64,{data}">')
    parts.extend(_table_html(t) for t in section.tables)
    parts.extend(f'<p class="note">{html.escape(n)}</p>' for n in section.notes)
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Report) -> str:
    template = Template((resources.files("jd_pipeline.reporting") / "templates" / "report.html").read_text("utf-8"))
    body = _kpis_html(report.key_numbers) + "".join(_section_html(s) for s in report.sections)
    footer = (
        f"jd-ops-warehouse · {html.escape(report.kind)} · {html.escape(report.brand)} · {html.escape(report.period)} · "
        f"生成于 {datetime.now():%Y-%m-%d %H:%M} · 数据来源: {html.escape(', '.join(report.sources))}"
    )
    return template.substitute(
        title=html.escape(report.title), subtitle=html.escape(report.subtitle), body=body, footer=footer
    )


def _excel_frame(table: Table) -> pd.DataFrame:
    """Numbers as floats (Excel has no decimals), text as text."""
    frame = table.frame.copy()
    for col in frame.columns:
        if table.formats.get(col, "text") != "text":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def render_xlsx(report: Report) -> bytes:
    """One sheet per table (same rows as the HTML) plus a 说明 sheet with the key numbers."""
    buf = io.BytesIO()
    # Text is never turned into a formula or link: a 商品名称 such as =HYPERLINK(...) stays text.
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        book = writer.book
        summary = pd.DataFrame(
            [(k.key, k.label, None if k.value is None else float(k.value)) for k in report.key_numbers],
            columns=["key", "指标", "数值"],
        )
        summary.to_excel(writer, sheet_name="说明", index=False, startrow=3)
        sheet = writer.sheets["说明"]
        sheet.write(0, 0, report.title, book.add_format({"bold": True, "font_size": 14}))
        sheet.write(1, 0, report.subtitle)
        sheet.set_column(0, 1, 24)
        sheet.set_column(2, 2, 18, book.add_format({"num_format": "#,##0.00"}))
        for section in report.sections:
            for table in section.tables:
                frame = _excel_frame(table)
                frame.to_excel(writer, sheet_name=table.sheet, index=False)
                ws = writer.sheets[table.sheet]
                for i, col in enumerate(frame.columns):
                    fmt = table.formats.get(col, "text")
                    width = max(10, min(40, len(str(col)) * 2 + 2))
                    ws.set_column(i, i, width, book.add_format({"num_format": EXCEL_FORMATS[fmt]}))
                ws.freeze_panes(1, 0)
    return buf.getvalue()
