"""Render a `Report` to one self-contained HTML file (charts inline) and an xlsx workbook.

Both show Chinese column labels from the shared dictionary (`labels.py`) with units in the headers;
model names appear only in the small 数据来源 footnote.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from importlib import resources
from string import Template

from jd_pipeline.reporting.formatting import (
    MISSING,
    PENDING,
    card_money,
    fmt_value,
    is_missing,
    money_scale,
    to_float,
)
from jd_pipeline.reporting.labels import column_label
from jd_pipeline.reporting.model import Format, KeyNumber, Report, Section, Table
from jd_pipeline.reporting.xlsx import render_xlsx

__all__ = ["column_header", "fmt_value", "render_html", "render_xlsx"]

COUNT_UNIT_FORMATS = ("int",)


def column_label_text(table: Table, column: str) -> str:
    if column in table.labels:
        return table.labels[column]
    label = column_label(column, table.model)
    return label.label_zh if label else column


def column_unit(table: Table, column: str, money_unit: str = "元") -> str:
    """The unit a header states: money columns their scale (元/万元), counts their mart unit."""
    if column in table.cell_formats:
        return ""
    fmt = table.formats.get(column, "text")
    if fmt == "money":
        return money_unit
    if fmt == "int":
        label = column_label(column, table.model)
        return label.unit if label and label.unit and label.unit != "%" and label.unit != "元" else ""
    return ""


def column_header(table: Table, column: str, money_unit: str = "元") -> str:
    unit = column_unit(table, column, money_unit)
    text = column_label_text(table, column)
    return f"{text} ({unit})" if unit else text


def _raw(value: object) -> str:
    try:
        return repr(to_float(value))
    except (TypeError, ValueError):
        return ""


def cell_text(value: object, fmt: Format, divisor: float = 1) -> str:
    return fmt_value(value, fmt, divisor)


def _mixed_cell_text(value: object, fmt: Format, scale: tuple[float, str]) -> str:
    """A cell of a column whose rows differ in kind: money carries its unit, one scale per row."""
    if fmt == "money" and not is_missing(value):
        return f"{fmt_value(value, fmt, scale[0])} {scale[1]}"
    return fmt_value(value, fmt)


def _row_scales(table: Table) -> list[tuple[float, str]]:
    """元 or 万元 per row, over the row's mixed-kind cells (a transposed table's row is one figure)."""
    mixed = [c for c in table.frame.columns if c in table.cell_formats]
    return [money_scale([table.frame[c].iloc[i] for c in mixed]) for i in range(len(table.frame))]


def _table_html(table: Table) -> str:
    cols = list(table.frame.columns)
    scales = {
        c: money_scale(list(table.frame[c]))
        for c in cols
        if table.formats.get(c) == "money" and c not in table.cell_formats
    }
    head = "".join(
        f'<th data-col="{html.escape(str(c))}">{html.escape(column_header(table, c, scales.get(c, (1, "元"))[1]))}</th>'
        for c in cols
    )
    row_scales = _row_scales(table) if table.cell_formats else []
    rows = []
    for i, record in enumerate(table.frame.itertuples(index=False, name=None)):
        cells = []
        for col, value in zip(cols, record):
            fmt = table.format_of(col, i)
            numeric = fmt not in ("text", "bool", "date")
            cls = ' class="num"' if numeric else ""
            raw = f' data-value="{_raw(value)}"' if numeric else ""
            if col in table.cell_formats:
                text = _mixed_cell_text(value, fmt, row_scales[i])
            else:
                text = fmt_value(value, fmt, scales.get(col, (1, ""))[0])
            cells.append(f'<td{cls} data-col="{html.escape(str(col))}"{raw}>{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        rows.append(f'<tr><td class="empty" colspan="{max(len(cols), 1)}">本期无记录</td></tr>')
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f'<h3>{html.escape(table.title)}</h3><div class="table-wrap"><table data-table="{html.escape(table.sheet)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def card_parts(k: KeyNumber) -> tuple[str, str]:
    """(value text, unit) of a key-number card."""
    if k.pending:
        return PENDING, ""
    if k.value is None or is_missing(k.value):
        return MISSING, ""
    if k.fmt == "money":
        return card_money(float(k.value))
    return fmt_value(k.value, k.fmt), ""


def _kpis_html(numbers: list[KeyNumber]) -> str:
    items = []
    for k in numbers:
        value, unit = card_parts(k)
        pending = ' data-pending="1"' if k.pending else ""
        note = f'<div class="note">{html.escape(k.note)}</div>' if k.note else ""
        unit_html = f'<span class="unit">{html.escape(unit)}</span>' if unit else ""
        items.append(
            f'<div class="kpi{" pending" if k.pending else ""}" data-key="{html.escape(k.key)}" '
            f'data-value="{"" if k.pending else _raw(k.value)}" data-fmt="{k.fmt}"{pending}>'
            f'<div class="label">{html.escape(k.label)}</div>'
            f'<div class="value"><span class="number">{html.escape(value)}</span>{unit_html}</div>{note}</div>'
        )
    return f'<div class="kpis">{"".join(items)}</div>' if items else ""


def _section_html(section: Section) -> str:
    parts = [f"<section><h2>{html.escape(section.title)}</h2>"]
    for chart in section.charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(chart.title)}" src="data:image/png;base64,{data}"></figure>'
        )
    parts.extend(_table_html(t) for t in section.tables)
    parts.extend(f'<p class="note">{html.escape(n)}</p>' for n in section.notes)
    parts.append("</section>")
    return "".join(parts)


def _banners_html(report: Report) -> str:
    return "".join(f'<div class="banner" role="note">{html.escape(b)}</div>' for b in report.banners)


def render_html(report: Report) -> str:
    template = Template(
        (resources.files("jd_pipeline.reporting") / "templates" / "report.html").read_text("utf-8")
    )
    body = (
        _banners_html(report)
        + _kpis_html(report.key_numbers)
        + "".join(_section_html(s) for s in report.sections)
    )
    footer = (
        f"jd-ops-warehouse · {html.escape(report.brand)} · {html.escape(report.period)} · "
        f"生成于 {datetime.now():%Y-%m-%d %H:%M}<br>"
        f'<span class="sources">数据来源: {html.escape(", ".join(report.sources))}</span>'
    )
    return template.substitute(
        title=html.escape(report.title), subtitle=html.escape(report.subtitle), body=body, footer=footer
    )
