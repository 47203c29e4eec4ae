"""What a reader gets besides the page: an open month says so, the xlsx formats, the PDFs.

Fixture facts (tests/dbt/fixture_data.py): brand acme has sales on 2026-04-01 but no April ledger, so
April's P&L is the marts.md estimate: ads = 京准通 cost POP 50.00 + 自营 70.00, POP commission 14.40
(rate card × net sales), every other cost line 0; there are no April OPEX actuals.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from jd_pipeline.reporting.build import BuiltReport
from jd_pipeline.reporting.mbr import build_mbr
from jd_pipeline.reporting.model import KeyNumber, Report, Section, Table
from jd_pipeline.reporting.opex import build_opex
from jd_pipeline.reporting.periods import ESTIMATE_BANNER
from jd_pipeline.reporting.render import render_html, render_xlsx

OPEN_MONTH = "2026-04"


class _Cells(HTMLParser):
    """Text of every td by data-col, of every key-number card, and of the banners."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, list[str]] = {}
        self.cards: dict[str, dict[str, str]] = {}
        self.banners: list[str] = []
        self._col: str | None = None
        self._card: str | None = None
        self._banner = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td":
            self._col = a.get("data-col") or ""
            self.cells.setdefault(self._col, []).append("")
        if "data-key" in a:
            self._card = a["data-key"]
            self.cards[self._card or ""] = {"pending": a.get("data-pending") or "", "text": ""}
        if a.get("class") == "banner":
            self._banner = True
            self.banners.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._col = None
        if tag == "div" and self._banner:
            self._banner = False

    def handle_data(self, data: str) -> None:
        if self._col is not None:
            self.cells[self._col][-1] += data
        if self._card is not None:
            self.cards[self._card]["text"] += data
        if self._banner:
            self.banners[-1] += data


def _cells(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def conn(report_warehouse: Path):
    with duckdb.connect(str(report_warehouse / "warehouse" / "warehouse.duckdb")) as c:
        yield c


def test_month_without_ledger_opex_says_pending_never_zero(conn) -> None:
    report = build_opex(conn, "acme", OPEN_MONTH, "month")
    page = _cells(render_html(report))
    assert any(ESTIMATE_BANNER in b and "4月" in b for b in page.banners), page.banners
    for key in ("actual", "variance", "variance_vs_plan", "budget_used"):
        assert page.cards[key]["pending"] == "1" and "待总账" in page.cards[key]["text"], (
            key,
            page.cards[key],
        )
        assert report.key_values()[key] is None
    for table in (
        t for s in report.sections for t in s.tables if t.sheet in ("按费用类型", "按成本中心", "明细")
    ):
        assert table.frame.empty or set(table.frame["actual"]) == {"待总账"}, table.sheet
    # April has no budget either, so its tables are empty: January (a budget line, no ledger) shows
    # the tables' pending actuals on real rows
    january = build_opex(conn, "acme", "2026-01", "month")
    tables = [
        t for s in january.sections for t in s.tables if t.sheet in ("按费用类型", "按成本中心", "明细")
    ]
    assert len(tables) == 3 and all(len(t.frame) for t in tables), [(t.sheet, len(t.frame)) for t in tables]
    for table in tables:
        assert set(table.frame["actual"]) == {"待总账"}, (table.sheet, table.frame)
    html = render_html(report)
    assert "0.00 元</span>" not in html.split('data-key="actual"')[1].split("</div></div>")[0]


def test_year_to_date_opex_counts_only_ledger_months(conn) -> None:
    """acme 2026 to April: ledger for March only (1781.00); January has a budget line (100.00) but no ledger."""
    report = build_opex(conn, "acme", OPEN_MONTH, "year")
    values = report.key_values()
    assert values["actual"] == pytest.approx(1781.00)
    page = _cells(render_html(report))
    assert any("1月" in b and "4月" in b and "只含 3月" in b for b in page.banners), page.banners
    months = page.cells["month"]
    trend_actual = dict(zip(months, page.cells["actual"][-len(months) :]))
    assert trend_actual["2026-01"] == "待总账" and trend_actual["2026-03"] == "1,781.00"


def test_month_without_ledger_mbr_shows_the_estimate(conn) -> None:
    report = build_mbr(conn, "acme", OPEN_MONTH)
    html = render_html(report)
    page = _cells(html)
    assert any(ESTIMATE_BANNER in b for b in page.banners), page.banners
    assert any("数据截至 4月1日" in b for b in page.banners), page.banners
    assert "估算" in page.cards["contribution"]["text"]
    (pnl,) = [t for s in report.sections for t in s.tables if t.sheet == "PnL"]
    assert "估算" in pnl.title
    lines = pnl.frame.set_index("item")
    assert float(lines.loc["广告费", "POP店"]) == pytest.approx(50.00)
    assert float(lines.loc["广告费", "自营"]) == pytest.approx(70.00)
    assert float(lines.loc["广告费", "合计"]) == pytest.approx(120.00)
    assert float(lines.loc["佣金扣点", "POP店"]) == pytest.approx(14.40)
    assert float(lines.loc["人员", "合计"]) == 0.0
    (opex,) = [t for s in report.sections for t in s.tables if t.sheet == "OPEX"]
    assert opex.frame.empty or set(opex.frame["actual"]) == {"待总账"}
    # April's OPEX table is empty (no budget): January's budget line shows its pending actual
    (january,) = [
        t for s in build_mbr(conn, "acme", "2026-01").sections for t in s.tables if t.sheet == "OPEX"
    ]
    assert len(january.frame) and set(january.frame["actual"]) == {"待总账"}, january.frame


def test_the_xlsx_carries_formats_widths_and_a_correct_summary() -> None:
    frame = pd.DataFrame(
        {
            "date_day": [date(2026, 5, 31), date(2026, 6, 1)],
            "sku_name": ["=1+1 不是公式", "一个很长很长的中文商品名称用来测宽度"],
            "gmv": [1234567.891, -20.0],
            "units": [12, 3],
            "achievement_vs_plan": [0.987, None],
        }
    )
    report = Report(
        kind="monthly_business_review",
        brand="b",
        period="2026-05",
        title="标题",
        file_stem="x",
        key_numbers=[
            KeyNumber("gmv", "GMV", 1234567.89),
            KeyNumber("ach", "计划达成率", 0.987, "pct"),
            KeyNumber("n", "失败检查", 3.0, "int"),
            KeyNumber("a", "实际 OPEX", None, pending=True),
        ],
        sections=[
            Section(
                "s",
                [
                    Table(
                        "明细",
                        "明细",
                        frame,
                        {"date_day": "date", "gmv": "money", "units": "int", "achievement_vs_plan": "pct"},
                        model="fct_sales_daily",
                    )
                ],
            )
        ],
        sources=["fct_sales_daily"],
    )
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
    ws = book["明细"]
    header = [c.value for c in ws[1]]
    assert header == ["日期", "商品名称", "GMV (元)", "销量 (件)", "计划达成率"]
    assert ws.freeze_panes == "A2"
    day, name, gmv, units, ach = ws[2]
    assert day.is_date and day.value.date() == date(2026, 5, 31) and day.number_format == "yyyy-mm-dd"
    assert name.data_type == "s" and name.value == "=1+1 不是公式"  # a value, not a formula
    assert gmv.value == pytest.approx(1234567.891) and gmv.number_format == "#,##0.00"
    assert units.value == 12 and units.number_format == "#,##0"
    assert ach.value == pytest.approx(0.987) and ach.number_format == "0.0%"
    assert ws["E3"].value is None
    # width from the content: the long name (19 CJK characters = 38) sets column B, not its header
    assert ws.column_dimensions["B"].width >= 38
    assert ws.column_dimensions["C"].width >= len("1,234,567.89")
    summary = book["说明"]
    rows = {r[0].value: r for r in summary.iter_rows() if r[0].value}
    assert (
        rows["计划达成率"][1].value == pytest.approx(0.987) and rows["计划达成率"][1].number_format == "0.0%"
    )
    assert rows["失败检查"][1].value == 3 and rows["失败检查"][1].number_format == "#,##0"
    assert rows["GMV"][1].number_format == "#,##0.00" and rows["GMV"][2].value == "元"
    assert rows["实际 OPEX"][1].value == "待总账"
    assert any(str(r[0].value).startswith("数据来源") for r in summary.iter_rows() if r[0].value)


def test_report_workbooks_have_chinese_headers_and_no_formulas(
    built_reports: dict[str, list[BuiltReport]],
) -> None:
    snake = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")
    assert built_reports and all(built_reports.values()), {k: len(v) for k, v in built_reports.items()}
    for reports in built_reports.values():
        for b in reports:
            book = openpyxl.load_workbook(b.xlsx_path)
            for ws in book.worksheets:
                if ws.title == "说明":
                    continue
                assert ws.freeze_panes == "A2", (b.xlsx_path.name, ws.title)
                headers = [c.value for c in ws[1]]
                assert not [h for h in headers if h and snake.match(str(h))], (
                    b.xlsx_path.name,
                    ws.title,
                    headers,
                )
                for row in ws.iter_rows(min_row=2):
                    for cell in row:
                        assert cell.data_type != "f", (b.xlsx_path.name, ws.title, cell.coordinate)


def test_every_report_has_a_pdf_with_extractable_chinese_text(
    built_reports: dict[str, list[BuiltReport]],
) -> None:
    assert built_reports and all(built_reports.values()), {k: len(v) for k, v in built_reports.items()}
    for reports in built_reports.values():
        for b in reports:
            assert b.pdf_path.exists(), b.pdf_path
            reader = PdfReader(str(b.pdf_path))
            # Chromium's ToUnicode map names some glyphs by their compatibility code points (⽉ U+2F49
            # for 月, the ﬃ ligature): NFKC gives the text a reader would search for.
            text = unicodedata.normalize("NFKC", "".join(page.extract_text() or "" for page in reader.pages))
            title_cjk = max(re.findall(r"[\u4e00-\u9fff]+", b.report.title), key=len)
            assert title_cjk in text, (b.pdf_path.name, title_cjk, text[:200])
            assert "数据质量" in text
            # Every font is carried by the file: Chromium (Skia) embeds the Noto CJK glyphs it used as
            # Type3 fonts (glyph programs + ToUnicode) or as a FontFile; none may rely on the viewer's fonts.
            kinds = []
            for page in reader.pages:
                fonts = page["/Resources"].get_object().get("/Font")
                for font in (fonts.get_object() if fonts is not None else {}).values():
                    font = font.get_object()
                    if font.get("/Subtype") == "/Type3":
                        assert "/CharProcs" in font and "/ToUnicode" in font
                        kinds.append("Type3")
                        continue
                    for d in font.get("/DescendantFonts") or [font]:
                        descriptor = d.get_object()["/FontDescriptor"].get_object()
                        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                            b.pdf_path.name,
                            descriptor.get("/FontName"),
                        )
                        kinds.append("embedded")
            assert kinds, b.pdf_path.name
            mediabox = reader.pages[0].mediabox
            assert float(mediabox.width) > float(mediabox.height)  # landscape
