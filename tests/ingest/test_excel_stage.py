"""`stage_excel` on a hand-made workbook: the rows, row numbers, flags and cell texts it stages.

Pins the column-wise reading (blank rows, control characters in mapped and unmapped columns,
formulas without a cached value, numbers mixing whole and decimal values) cell by cell."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import duckdb

from jd_pipeline.contracts import load_contracts
from jd_pipeline.ingest import scan_landing
from jd_pipeline.ingest.excel_reader import _cell_text, stage_excel
from jd_pipeline.ingest.stage_buffer import StageBuffer, StageTarget
from tests.extract_files import write_xlsx
from tests.ingest.samples import BRAND

HEADERS = [
    "时间",
    "SKU",
    "商品名称",
    "配送中心",
    "库存件数",
    "可用库存",
    "采购未到货",
    "不可售",
    "昨日出库商品件数",
    "预计可售天数",
    "备注",
]
CONTROL = "control character (NUL or another byte below 0x20) in "


def _with_control_characters(path: Path) -> None:
    """`~CTRLhh~` in the sheet's strings becomes byte 0xhh: openpyxl refuses to write control
    characters, an export from another tool has them as OOXML `_x00hh_` escapes."""
    parts = {}
    with zipfile.ZipFile(path) as z:
        for item in z.infolist():
            data = z.read(item.filename)
            parts[item.filename] = re.sub(rb"~CTRL([0-9a-f]{2})~", rb"_x00\1_", data)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _stage(landing: Path, rows: list[list[Any]]) -> dict[str, list[Any]]:
    path = write_xlsx(landing, f"jd_vc_inventory/{BRAND}/2026-03-01/inventory.xlsx", HEADERS, rows)
    _with_control_characters(path)
    (lf,) = scan_landing(landing, "jd_vc_inventory")
    day = dt.date(2026, 3, 1)
    target = StageTarget(index=3, period=lf.period, pstart=day, pend=day, buffer=StageBuffer())
    staged = stage_excel(duckdb.connect(), load_contracts()["jd_vc_inventory"], lf, None, target)
    ((index, table),) = target.buffer.waiting
    assert (index, staged.base, target.buffer.rows) == (3, 0, table.num_rows)
    return table.to_pydict()


def test_blank_rows_flags_and_number_texts(landing: Path) -> None:
    d = "2026-03-01"
    rows: list[list[Any]] = [
        [d, "1001", "A", "北京", 5, 5, 0, 0, 1, 28, None],
        [None] * 11,  # blank in the middle: skipped, its row number not reused
        [d, "1002", "B~CTRL01~", "上海", 4.0, 3, 0, 0, 2, 2.5, "x~CTRL02~y"],  # control, mapped and not
        ["  ", None, " ", None, None, None, None, None, None, None, "\t"],  # whitespace only: blank
        [d, "1003", "C", "广州", 7, 6, 1, 0, 0, 1e-05, "=1+1"],  # formula without cached value
        [d, "1004", "D", "成都", 1, 1, 0, 0, 0, 1234.5678, None, "ok~CTRL1f~"],  # past the header
        [d, "1005", "E", "武汉"],  # shorter than the header
        [d, "1006", True, "西安", 12345678901234567890, 3, 0, 0, 0, -0.0, dt.datetime(2026, 3, 1, 8)],
        [None, None, None, None, None, None, None, None, None, None, None],  # trailing blank
    ]
    got = _stage(landing, rows)
    assert got["_rn"] == [1, 3, 5, 6, 7, 8]
    assert got["_file"] == [3] * 6 and got["_period"] == ["2026-03-01"] * 6
    assert got["_flag"] == [
        None,
        CONTROL + "商品名称, column 11",
        "formula without a cached value in cell K6",
        CONTROL + "column 12",
        None,
        None,
    ]
    assert got["sku_id"] == ["1001", "1002", "1003", "1004", "1005", "1006"]
    assert got["sku_name"] == ["A", "B\x01", "C", "D", "E", "TRUE"]
    assert got["on_hand"] == ["5", "4", "7", "1", None, "1.234567890123457e+19"]
    assert got["days_of_cover"] == ["28", "2.5", "0.00001", "1234.5678", None, "0"]


def test_cell_text_of_each_type() -> None:
    assert [_cell_text(v) for v in ("", None, "a", True, 3.0, 1e-05, 1e17, dt.timedelta(hours=12))] == [
        None,
        None,
        "a",
        "TRUE",
        "3",
        "0.00001",
        "1e+17",
        "0.5",
    ]
