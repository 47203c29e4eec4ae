"""The column-spec writers: CSV quoting, xlsx cells, the fast paths give the same bytes."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest

from jd_pipeline.generate import frames as F
from jd_pipeline.generate import writers as W
from jd_pipeline.generate.frames import Col, Sheet


def sample(n: int) -> Sheet:
    return Sheet(
        [
            Col("时间", F.dates(np.array(["2026-03-01"] * n, "datetime64[D]"))),
            Col("SKU", F.ints(np.arange(n) + 10**11)),
            Col("名称", F.text(['a,b&c<d"q' if i % 3 == 0 else None for i in range(n)])),
            Col("收入", F.money(np.arange(n) * 12345 - 300), True),
            Col("率", F.pct(np.arange(n), np.arange(n) + 1)),
            Col("数", F.text(["abc" if i % 5 == 0 else str(i) for i in range(n)]), True),
        ]
    )


@pytest.mark.parametrize("n", [5, 3000])
def test_python_and_arrow_paths_agree(n, monkeypatch):
    s = sample(n)
    small_xml, small_csv = W.sheet_xml(s), W.render_csv(s, "gb18030")
    monkeypatch.setattr(W, "SMALL_CELLS", 0 if n == 5 else 10**9)
    assert W.sheet_xml(s) == small_xml and W.render_csv(s, "gb18030") == small_csv


def test_csv_group_renders_like_its_columns():
    s = sample(3000)
    grouped = Sheet([W.csv_group(s.cols[:3]), *s.cols[3:]])
    assert grouped.headers == s.headers
    assert W.render_csv(grouped, "utf-8", bom=True) == W.render_csv(s, "utf-8", bom=True)


def test_csv_quotes_and_xlsx_types():
    s = sample(4)
    text = W.render_csv(s, "utf-8").decode()
    assert '"a,b&c<d""q"' in text and text.endswith("\r\n")
    wb = openpyxl.load_workbook(io.BytesIO(W.render_xlsx(s)), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[1][3] == -3.0 and rows[1][5] == "abc" and rows[2][5] == 1 and rows[1][2] == 'a,b&c<d"q'
    assert W.render_xlsx(s) == W.render_xlsx(sample(4))  # deterministic bytes
