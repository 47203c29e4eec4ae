"""Every source present, in its exact file kind, encoding, BOM and headers."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from jd_pipeline.generate import SOURCES
from tests.generate.gen_helpers import CSV_ENCODING, HEADERS, files, read_rows

PERIOD = {
    "daily": r"\d{4}-\d{2}-\d{2}",
    "monthly": r"\d{4}-\d{2}",
    "quarterly": r"\d{4}Q[1-4]",
    "yearly": r"\d{4}",
}
KIND = {
    "jd_sz_industry": "monthly",
    "fin_opex_actuals": "monthly",
    "tp_team_kpi": "quarterly",
    "tp_campaign_plan": "yearly",
    "fin_sales_plan": "yearly",
    "fin_opex_budget": "yearly",
    "fin_region_budget": "yearly",
}
STORE_SOURCES = {"jd_sz_sku", "jd_sz_traffic"}


def test_every_source_present(clean):
    assert set(HEADERS) == set(SOURCES)
    for source in SOURCES:
        assert files(clean.out, source), source
    assert clean.faults == 0


@pytest.mark.parametrize("source", sorted(HEADERS))
def test_layout_encoding_and_headers(clean, source):
    name_ok = re.compile(r"^[A-Za-z0-9._\-\u4e00-\u9fff]+$")
    for path in files(clean.out, source)[:40]:
        rel = path.relative_to(clean.out).parts
        assert rel[0] == source and re.fullmatch(r"[a-z0-9_]{2,32}", rel[1])
        if source in STORE_SOURCES:
            assert rel[2] in ("pop", "self")
        assert re.fullmatch(PERIOD[KIND.get(source, "daily")], rel[-2]), rel
        assert name_ok.match(rel[-1]), rel[-1]
        raw = path.read_bytes()
        if source in CSV_ENCODING:
            assert path.suffix == ".csv"
            if CSV_ENCODING[source] == "utf-8-sig":
                assert raw.startswith(b"\xef\xbb\xbf")
                raw[3:].decode("utf-8")
            else:
                assert not raw.startswith(b"\xef\xbb\xbf")
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")  # really GB18030, not UTF-8
                raw.decode("gb18030")
            assert raw.endswith(b"\r\n")
        else:
            assert path.suffix == ".xlsx" and zipfile.is_zipfile(path)
        rows = read_rows(path, source)
        assert rows, path
        assert list(rows[0]) == HEADERS[source]


def test_xlsx_opens_in_openpyxl(clean):
    path = files(clean.out, "jd_vc_inventory")[0]
    wb = openpyxl.load_workbook(path, read_only=True)
    head = next(wb.worksheets[0].iter_rows(values_only=True))
    assert list(head) == HEADERS["jd_vc_inventory"]


def test_ordinary_quirks_always_present(clean):
    sales = read_rows(files(clean.out, "jd_vc_sales")[0], "jd_vc_sales")
    assert sales[-1]["时间"] == "合计"
    inv = read_rows(files(clean.out, "jd_vc_inventory")[0], "jd_vc_inventory")
    assert any(r["配送中心"] == "全国" for r in inv)
    sku = read_rows(files(clean.out, "jd_sz_sku")[0], "jd_sz_sku")
    assert sku[-1]["时间"] == "合计" and sku[0]["成交转化率"].endswith("%")
    traffic = read_rows(files(clean.out, "jd_sz_traffic")[0], "jd_sz_traffic")
    assert any(r["二级来源"] == "合计" for r in traffic) and traffic[-1]["一级来源"] == "合计"
    paid = [
        r["付款确认时间"]
        for p in files(clean.out, "jd_pop_orders")[-3:]
        for r in read_rows(p, "jd_pop_orders")
    ]
    assert "0001-01-01 00:00:00" in paid and "" in paid
    statuses = {
        r["订单状态"] for p in files(clean.out, "jd_pop_orders") for r in read_rows(p, "jd_pop_orders")
    }
    assert {"完成", "已取消"} <= statuses and any(s.startswith("(删除)") for s in statuses)
    assert any(s.startswith("等待") for s in statuses)


def test_ads_pulls_named_and_dated(clean):
    day = min((clean.out / "jd_ads" / "brand_a").iterdir())
    names = sorted(p.name for p in day.iterdir())
    assert all(re.fullmatch(r".+_pulled\d{8}\.csv", n) for n in names)
    assert len(names) == 3  # ads_pulls=3 -> nights 1, 8, 15
    mtimes = [p.stat().st_mtime for p in sorted(day.iterdir())]
    assert mtimes == sorted(mtimes)


def test_personal_data_is_obviously_fake(clean):
    from jd_pipeline.generate.reference import PROVINCES

    provinces = tuple(p for p, _ in PROVINCES)
    rows = read_rows(files(clean.out, "jd_pop_orders")[0], "jd_pop_orders")
    for r in rows:
        assert r["客户姓名"].startswith("测试用户")
        assert re.fullmatch(r"138\*\*\*\*\d{4}", r["联系电话"])
        assert r["客户地址"].startswith(provinces) and "测试" in r["客户地址"]
        assert r["下单帐号"].startswith("jd_test_")
