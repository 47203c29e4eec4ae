"""The bad-input catalogue of issue 3 (docs/bad_inputs.md): one test per entry, exact outcome."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from jd_pipeline.ingest.loader import LoadSummary
from tests.extract_files import contract_headers, write_bytes, write_csv, write_xlsx
from tests.ingest.helpers import SALT, set_mtime
from tests.ingest.samples import (
    ADS_HEADERS,
    GL_HEADERS,
    POP_HEADERS,
    POP_ROWS,
    SZ_SKU_HEADERS,
    ads_rows,
    gl_rows,
    sample_fin_sales_plan,
    sample_jd_vc_sales,
)

DAY = "2026-03-01"
POP = f"jd_pop_orders/acme/{DAY}"
ADS = f"jd_ads/acme/{DAY}"


def load(conn, landing: Path, source: str, start: str = DAY, end: str | None = None) -> LoadSummary:
    return load_partition_range(conn, get_contract(source), start, end or start, landing, salt=SALT)


def pop_rows() -> list[list]:
    return copy.deepcopy(POP_ROWS)


def one(summary: LoadSummary):
    """The single file of the run that was not skipped as already seen."""
    files = [f for f in summary.files if f.status != "skipped"]
    assert len(files) == 1, summary.files
    return files[0]


def quarantine(conn) -> list[tuple]:
    return conn.execute("SELECT row_number, reason FROM ops.quarantine_rows ORDER BY row_number").fetchall()


def manifest(conn) -> list[tuple]:
    return conn.execute("SELECT path, status, reason FROM ops.load_manifest ORDER BY path, status").fetchall()


# ------------------------------------------------------------------ encodings


def test_wrong_encoding_gb18030_file_for_a_utf8_source_is_rejected(landing: Path, conn) -> None:
    write_csv(landing, f"{ADS}/ads_pulled20260302.csv", ADS_HEADERS, ads_rows(), encoding="gb18030")
    f = one(load(conn, landing, "jd_ads"))
    assert f.status == "rejected"
    assert (
        f.reason == f"{ADS}/ads_pulled20260302.csv: wrong encoding: not UTF-8 (GB18030/GBK?); contract: utf-8"
    )
    assert conn.execute("SELECT count(*) FROM raw.jd_ads").fetchone()[0] == 0


def test_wrong_encoding_invalid_bytes_in_gb18030_file_is_rejected(landing: Path, conn) -> None:
    data = "订单号,商品ID\n".encode("gb18030") + b"\x81\x20\xff\xff,1\n"
    write_bytes(landing, f"{POP}/orders.csv", data)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert f.status == "rejected"
    assert f.reason.startswith(f"{POP}/orders.csv: wrong encoding: invalid gb18030 bytes at byte ")
    assert (f.rows_read, f.rows_loaded) == (0, 0)


def test_wrong_encoding_utf16_is_rejected(landing: Path, conn) -> None:
    write_bytes(landing, f"{POP}/orders.csv", "订单号,商品ID\n1,2\n".encode("utf-16"))
    f = one(load(conn, landing, "jd_pop_orders"))
    assert f.status == "rejected" and "wrong encoding: UTF-16" in f.reason


@pytest.mark.parametrize("encoding,bom", [("gb18030", False), ("utf-8", True), ("utf-8", False)])
def test_bom_or_no_bom_loads_identical_rows(landing: Path, conn, encoding: str, bom: bool) -> None:
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows(), encoding=encoding, bom=bom)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.rows_loaded) == ("loaded", 4)
    names = conn.execute(
        "SELECT string_agg(sku_name, '|' ORDER BY _row_number) FROM raw.jd_pop_orders"
    ).fetchone()
    assert names == ("T恤 & 短裤|袜子|T恤 & 短裤|袜子",)


def test_utf8_source_without_bom_loads(landing: Path, conn) -> None:
    write_csv(landing, f"{ADS}/ads_pulled20260302.csv", ADS_HEADERS, ads_rows(), encoding="utf-8", bom=False)
    assert one(load(conn, landing, "jd_ads")).rows_loaded == 2


# ------------------------------------------------------------------ headers


def test_missing_required_header_is_rejected(landing: Path, conn) -> None:
    headers = [h for h in POP_HEADERS if h != "订单号"]
    rows = [r[1:] for r in pop_rows()]
    write_csv(landing, f"{POP}/orders.csv", headers, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert f.status == "rejected"
    assert f.reason == (
        f"{POP}/orders.csv: missing required header(s) 订单号 "
        "(header line has 23 field(s), 23 of them contract headers)"
    )


def test_extra_unknown_header_is_ignored_and_noted(landing: Path, conn) -> None:
    rows = [[*r, "x"] for r in pop_rows()]
    write_csv(landing, f"{POP}/orders.csv", [*POP_HEADERS, "备用字段"], rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.rows_loaded, f.reason) == ("loaded", 4, "ignored unknown header(s): 备用字段")


@pytest.mark.integration
def test_header_variants_spaces_fullwidth_and_percent(landing: Path, conn) -> None:
    headers = [" 订单号 ", "商品ID\u3000", *POP_HEADERS[2:]]
    write_csv(landing, f"{POP}/orders.csv", headers, pop_rows())
    assert one(load(conn, landing, "jd_pop_orders")).rows_loaded == 4
    ads_headers = [h.replace("点击率(%)", "点击率（%）").replace("花费", "总费用") for h in ADS_HEADERS]
    write_csv(landing, f"{ADS}/ads_pulled20260302.csv", ads_headers, ads_rows(), encoding="utf-8", bom=True)
    assert one(load(conn, landing, "jd_ads")).rows_loaded == 2
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 800


# ------------------------------------------------------------------ empty / truncated


def test_empty_file_is_rejected(landing: Path, conn) -> None:
    write_bytes(landing, f"{POP}/orders.csv", b"")
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.reason) == ("rejected", f"{POP}/orders.csv: empty file (0 bytes)")


def test_empty_workbook_is_rejected(landing: Path, conn) -> None:
    write_xlsx(landing, f"jd_vc_sales/acme/{DAY}/vc.xlsx", [], [])
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.status, f.reason) == (
        "rejected",
        f"jd_vc_sales/acme/{DAY}/vc.xlsx: the first visible sheet is empty",
    )


@pytest.mark.integration
def test_file_with_only_headers_loads_zero_rows_and_replaces(landing: Path, conn) -> None:
    old = write_csv(landing, f"{POP}/orders_a.csv", POP_HEADERS, pop_rows())
    set_mtime(old, 1_700_000_000)
    assert one(load(conn, landing, "jd_pop_orders")).rows_loaded == 4
    new = write_csv(landing, f"{POP}/orders_b.csv", POP_HEADERS, [])
    set_mtime(new, 1_700_000_100)
    # emptying a loaded day is implausible (issue 22): held until an operator accepts it
    f = one(load(conn, landing, "jd_pop_orders"))
    assert f.status == "held" and "rows 4 -> 0 (-100.0%)" in f.reason
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 4
    from jd_pipeline.ingest.plausibility import ACCEPT_NOTE, accept

    assert accept(conn, f"{POP}/orders_b.csv") == 1
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.rows_read, f.rows_loaded, f.reason) == (
        "loaded",
        0,
        0,
        f"no data rows; {ACCEPT_NOTE}",
    )
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 0


def test_truncated_last_line_is_quarantined_with_raw_line_withheld_for_pii(landing: Path, conn) -> None:
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows(), tail="300004,1000123")
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 5, 4, 1)
    ((rn, reason, raw),) = conn.execute(
        "SELECT row_number, reason, raw_values FROM ops.quarantine_rows"
    ).fetchall()
    assert rn == 5 and reason.startswith("malformed CSV row (MISSING COLUMNS)")
    assert json.loads(raw) == {"_raw_line": "<withheld: source has personal data>"}


def test_truncated_last_line_raw_line_kept_without_pii(landing: Path, conn) -> None:
    write_csv(
        landing,
        f"{ADS}/ads_pulled20260302.csv",
        ADS_HEADERS,
        ads_rows(),
        encoding="utf-8",
        bom=True,
        tail="2026-03-01,acme_jd,京东快",
    )
    f = one(load(conn, landing, "jd_ads"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    raw = conn.execute("SELECT raw_values FROM ops.quarantine_rows").fetchone()[0]
    assert json.loads(raw) == {"_raw_line": "2026-03-01,acme_jd,京东快"}


def test_truncated_inside_a_gb18030_character(landing: Path, conn) -> None:
    path = write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows(), tail="300004,袜")
    path.write_bytes(path.read_bytes()[:-1])  # cut the last character in half
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 5, 4, 1)


def test_broken_row_in_the_middle_keeps_row_numbers(landing: Path, conn) -> None:
    rows = ads_rows()
    rows.insert(1, ["2026-03-01", "x", "y"])
    write_csv(landing, f"{ADS}/ads_pulled20260302.csv", ADS_HEADERS, rows, encoding="utf-8", bom=True)
    f = one(load(conn, landing, "jd_ads"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    assert conn.execute("SELECT list(_row_number ORDER BY _row_number) FROM raw.jd_ads").fetchone()[0] == [
        1,
        3,
    ]
    assert quarantine(conn)[0][0] == 2


# ------------------------------------------------------------------ values


def test_non_numeric_in_numeric_column_is_quarantined(landing: Path, conn) -> None:
    rows = pop_rows()
    rows[1][3] = "abc"
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 3, 1)
    assert quarantine(conn) == [(2, "订购数量: cannot parse 'abc' as int")]


def test_negative_quantity_where_not_allowed_is_quarantined(landing: Path, conn) -> None:
    rows = pop_rows()
    rows[0][3] = "-2"
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_loaded, f.rows_quarantined) == (3, 1)
    assert quarantine(conn) == [(1, "订购数量: negative value -2 not allowed")]


def test_negative_units_allowed_in_vc_sales(landing: Path, conn) -> None:
    sample_jd_vc_sales(landing)
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.rows_loaded, f.rows_quarantined) == (4, 0)
    assert conn.execute("SELECT min(units) FROM raw.jd_vc_sales").fetchone()[0] == -1


def test_date_outside_the_folder_period_is_quarantined(landing: Path, conn) -> None:
    rows = pop_rows()
    rows[2][5] = "2026-03-02 08:00:00"
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_loaded, f.rows_quarantined) == (3, 1)
    assert quarantine(conn) == [(3, "下单时间: 2026-03-02 08:00:00 outside the folder period 2026-03-01")]


def test_month_outside_the_folder_period_is_quarantined(landing: Path, conn) -> None:
    rows = gl_rows()
    rows[2][3] = "2026-04"
    write_csv(landing, "fin_opex_actuals/acme/2026-03/gl.csv", GL_HEADERS, rows)
    f = one(load(conn, landing, "fin_opex_actuals", "2026-03"))
    assert (f.rows_loaded, f.rows_quarantined) == (2, 1)
    assert quarantine(conn) == [(3, "会计期间: 2026-04 outside the folder period 2026-03")]


def test_duplicate_key_within_a_file_keeps_the_first(landing: Path, conn) -> None:
    rows = pop_rows()
    rows.append(copy.deepcopy(rows[0]))
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (5, 4, 1)
    assert quarantine(conn) == [(5, "duplicate key (order_id=300001, sku_id=100012345678) of row 1")]


def test_excel_mangled_ids_are_quarantined(landing: Path, conn) -> None:
    rows = pop_rows()
    rows[1][1] = "1.23457E+13"
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_loaded, f.rows_quarantined) == (3, 1)
    assert quarantine(conn) == [
        (2, "商品ID: Excel-mangled ID '1.23457E+13' (digits lost in scientific notation)")
    ]


def test_excel_mangled_id_in_a_workbook_is_quarantined(landing: Path, conn) -> None:
    write_xlsx(
        landing,
        f"jd_sz_sku/acme/pop/{DAY}/sku.xlsx",
        SZ_SKU_HEADERS,
        [
            [DAY, "1.00012E+11", "T恤", "服饰", "上衣", "T恤", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "1%", 0],
            [DAY, 100012345679.0, "袜子", "服饰", "配饰", "袜子", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "1%", 0],
        ],
    )
    f = one(load(conn, landing, "jd_sz_sku"))
    assert (f.rows_loaded, f.rows_quarantined) == (1, 1)
    assert conn.execute("SELECT sku_id FROM raw.jd_sz_sku").fetchone()[0] == "100012345679"


def test_several_problems_in_one_row_are_all_named(landing: Path, conn) -> None:
    rows = pop_rows()
    rows[0][0] = ""
    rows[0][6] = "12,34x"
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    load(conn, landing, "jd_pop_orders")
    assert quarantine(conn) == [(1, "订单号: missing key value; 京东价: cannot parse '12,34x' as money")]


def test_total_row_disagreeing_with_details_is_dropped_and_recorded(landing: Path, conn) -> None:
    headers = contract_headers("jd_vc_sales")
    write_xlsx(
        landing,
        f"jd_vc_sales/acme/{DAY}/vc.xlsx",
        headers,
        [
            [DAY, "200000000001", "羽绒服", "ACME", "服饰", "外套", "羽绒服", 5, 2995, 1800, 1195, 0, 0],
            ["", "合计", "", "", "", "", "", 5, 3000, 1800, 1195, 0, 0],
        ],
    )
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_total) == ("loaded", 1, 1, 1)
    assert f.reason == "1 total value(s) disagree with the detail rows (ops.file_totals)"
    bad = conn.execute(
        "SELECT total_label, column_name, total_value, detail_value FROM ops.file_totals "
        "WHERE total_value <> detail_value"
    ).fetchall()
    assert [(a, b, float(c), float(d)) for a, b, c, d in bad] == [("SKU=合计", "revenue", 3000.0, 2995.0)]


@pytest.mark.parametrize("case", ["unknown_product_line", "unknown_sku"])
def test_unknown_codes_and_skus_are_loaded_as_delivered(landing: Path, conn, case: str) -> None:
    rows = ads_rows()
    if case == "unknown_product_line":
        rows[0][2] = "超级广告"
    else:
        rows[0][7] = "999999999999"
    write_csv(landing, f"{ADS}/ads_pulled20260302.csv", ADS_HEADERS, rows, encoding="utf-8", bom=True)
    assert one(load(conn, landing, "jd_ads")).rows_loaded == 2
    got = conn.execute("SELECT product_line, sku_id FROM raw.jd_ads WHERE _row_number = 1").fetchone()
    assert got == (
        ("超级广告", "100012345678") if case == "unknown_product_line" else ("京东快车", "999999999999")
    )


def test_currency_other_than_cny_is_loaded_as_delivered(landing: Path, conn) -> None:
    rows = gl_rows()
    rows[0][11] = "USD"
    write_csv(landing, "fin_opex_actuals/acme/2026-03/gl.csv", GL_HEADERS, rows)
    assert one(load(conn, landing, "fin_opex_actuals", "2026-03")).rows_loaded == 3
    assert conn.execute(
        "SELECT list(DISTINCT currency ORDER BY currency) FROM raw.fin_opex_actuals"
    ).fetchone()[0] == ["CNY", "USD"]


# ------------------------------------------------------------------ file kinds


def test_xlsx_that_is_really_a_csv_is_rejected(landing: Path, conn) -> None:
    write_csv(landing, f"jd_vc_sales/acme/{DAY}/vc.xlsx", ["时间", "SKU"], [[DAY, "1"]], encoding="utf-8")
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.status, f.reason) == (
        "rejected",
        f"jd_vc_sales/acme/{DAY}/vc.xlsx: not an .xlsx workbook (content looks like CSV/text)",
    )


def test_csv_that_is_really_a_workbook_is_rejected(landing: Path, conn) -> None:
    src = write_xlsx(landing, "tmp.xlsx", POP_HEADERS, pop_rows())
    write_bytes(landing, f"{POP}/orders.csv", src.read_bytes())
    src.unlink()
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.reason) == ("rejected", f"{POP}/orders.csv: named .csv but is an Excel workbook")


def test_xls_workbook_loads(landing: Path, conn) -> None:
    import xlwt  # a dev dependency: a missing one fails the test instead of skipping it

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("商品明细")
    rows = [
        SZ_SKU_HEADERS,
        [
            DAY,
            100012345678.0,
            "T恤",
            "服饰",
            "上衣",
            "T恤",
            10,
            20,
            3,
            2,
            2,
            199.0,
            1,
            1,
            1,
            99.5,
            "10.00%",
            0,
        ],
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            sheet.write(r, c, v)
    path = landing / f"jd_sz_sku/acme/self/{DAY}/sku.xls"
    path.parent.mkdir(parents=True)
    book.save(str(path))
    f = one(load(conn, landing, "jd_sz_sku"))
    assert (f.status, f.rows_loaded) == ("loaded", 1)
    got = conn.execute("SELECT sku_id, deal_amount, deal_conversion, _store FROM raw.jd_sz_sku").fetchone()
    assert got == ("100012345678", pytest.approx(99.5), pytest.approx(0.1), "self")


# ------------------------------------------------------------------ deliveries


def test_same_file_twice_is_a_duplicate_and_rerun_does_nothing(landing: Path, conn) -> None:
    a = write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows())
    b = write_bytes(landing, f"{POP}/orders_copy.csv", a.read_bytes())
    set_mtime(a, 1_700_000_000)
    set_mtime(b, 1_700_000_100)
    summary = load(conn, landing, "jd_pop_orders")
    assert sorted((f.path.rsplit("/", 1)[1], f.status) for f in summary.files) == [
        ("orders.csv", "duplicate"),
        ("orders_copy.csv", "loaded"),
    ]
    again = load(conn, landing, "jd_pop_orders")
    assert [f.status for f in again.files] == ["skipped", "skipped"]
    assert conn.execute("SELECT count(*) FROM ops.load_manifest").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 4


def test_corrected_redelivery_replaces_the_period(landing: Path, conn) -> None:
    first = write_csv(landing, f"{POP}/orders_0302.csv", POP_HEADERS, pop_rows())
    set_mtime(first, 1_700_000_000)
    load(conn, landing, "jd_pop_orders")
    rows = pop_rows()[:2]
    rows[0][12] = "已取消"
    second = write_csv(landing, f"{POP}/orders_0303.csv", POP_HEADERS, rows)
    set_mtime(second, 1_700_086_400)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.rows_loaded) == ("loaded", 2)
    assert conn.execute(
        "SELECT count(*), string_agg(order_status, ',' ORDER BY _row_number) FROM raw.jd_pop_orders"
    ).fetchone() == (2, "已取消,完成")
    assert manifest(conn) == [
        (f"{POP}/orders_0302.csv", "replaced", f"replaced by the newer delivery {POP}/orders_0303.csv"),
        (f"{POP}/orders_0303.csv", "loaded", None),
    ]
    loaded_ids = conn.execute("SELECT DISTINCT _load_id FROM raw.jd_pop_orders").fetchall()
    assert (
        loaded_ids == conn.execute("SELECT load_id FROM ops.load_manifest WHERE status = 'loaded'").fetchall()
    )


def test_redelivery_in_place_same_path_new_bytes_replaces(landing: Path, conn) -> None:
    path = write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows())
    set_mtime(path, 1_700_000_000)
    load(conn, landing, "jd_pop_orders")
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows()[:3])  # -25 %: within JD_HOLD_SHRINK
    set_mtime(path, 1_700_000_500)
    assert one(load(conn, landing, "jd_pop_orders")).status == "loaded"
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 3
    assert [s for _, s, _ in manifest(conn)] == ["loaded", "replaced"]


def test_ads_newest_pull_wins_even_when_delivered_out_of_order(landing: Path, conn) -> None:
    newer = write_csv(
        landing,
        f"{ADS}/ads_pulled20260310.csv",
        ADS_HEADERS,
        ads_rows(cost1="700"),
        encoding="utf-8",
        bom=True,
    )
    set_mtime(newer, 1_700_000_000)
    load(conn, landing, "jd_ads")
    older = write_csv(
        landing, f"{ADS}/ads_pulled20260302.csv", ADS_HEADERS, ads_rows(), encoding="utf-8", bom=True
    )
    set_mtime(older, 1_800_000_000)  # arrives later, but its pull date is older
    f = one(load(conn, landing, "jd_ads"))
    assert (f.status, f.reason) == (
        "replaced",
        "superseded: an equal or newer delivery for this period is loaded",
    )
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 1000


def test_rejected_redelivery_keeps_the_previous_rows(landing: Path, conn) -> None:
    good = write_csv(landing, f"{POP}/orders_a.csv", POP_HEADERS, pop_rows())
    set_mtime(good, 1_700_000_000)
    load(conn, landing, "jd_pop_orders")
    bad = write_bytes(landing, f"{POP}/orders_b.csv", b"")
    set_mtime(bad, 1_700_000_100)
    assert one(load(conn, landing, "jd_pop_orders")).status == "rejected"
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 4
    assert [s for _, s, _ in manifest(conn)] == ["loaded", "rejected"]


def test_a_bad_file_never_stops_the_others(landing: Path, conn) -> None:
    write_bytes(landing, "jd_pop_orders/acme/2026-03-02/orders.csv", b"garbage\xff\xfe")
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, pop_rows())
    write_csv(landing, "jd_pop_orders/other_brand/2026-03-01/orders.csv", POP_HEADERS, pop_rows())
    summary = load(conn, landing, "jd_pop_orders", DAY, "2026-03-02")
    assert sorted(f.status for f in summary.files) == ["loaded", "loaded", "rejected"]
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 8


def test_fin_sales_plan_versions_are_kept_and_same_name_replaces(landing: Path, conn) -> None:
    headers = contract_headers("fin_sales_plan")
    base = "fin_sales_plan/acme/2026"
    write_xlsx(
        landing,
        f"{base}/plan_budget.xlsx",
        headers,
        [["2026-预算", "2025-12-15", "2026-01", "POP", "服饰", 1, 1, 1]],
    )
    write_xlsx(
        landing,
        f"{base}/plan_q2.xlsx",
        headers,
        [["2026-Q2滚动", "2026-04-10", "2026-01", "POP", "服饰", 2, 2, 2]],
    )
    load(conn, landing, "fin_sales_plan", "2026")
    fixed = write_xlsx(
        landing,
        f"{base}/plan_q2_pulled20260411.xlsx",
        headers,
        [["2026-Q2滚动", "2026-04-11", "2026-01", "POP", "服饰", 3, 3, 3]],
    )
    assert fixed
    load(conn, landing, "fin_sales_plan", "2026")
    got = conn.execute(
        "SELECT plan_version, target_gmv FROM raw.fin_sales_plan ORDER BY plan_version"
    ).fetchall()
    assert [(v, int(g)) for v, g in got] == [("2026-Q2滚动", 3), ("2026-预算", 1)]


# ------------------------------------------------------------------ paths


def test_paths_outside_the_zone_and_unexpected_names_are_refused(tmp_path: Path, landing: Path, conn) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("x")
    (landing / POP).mkdir(parents=True)
    os.symlink(outside, landing / POP / "link.csv")
    os.symlink(tmp_path, landing / "jd_pop_orders" / "acme" / "2026-03-02")
    write_csv(landing, f"{POP}/orders (1).csv", POP_HEADERS, pop_rows())
    write_csv(landing, f"{POP}/extra/orders.csv", POP_HEADERS, pop_rows())
    write_csv(landing, "jd_pop_orders/ACME/2026-03-01/orders.csv", POP_HEADERS, pop_rows())
    write_csv(landing, "jd_pop_orders/acme/2026-13-01/orders.csv", POP_HEADERS, pop_rows())
    write_csv(landing, f"{POP}/orders.txt", POP_HEADERS, pop_rows())
    write_csv(landing, "random_drop/orders.csv", POP_HEADERS, pop_rows())
    summary = load(conn, landing, "jd_pop_orders")
    assert summary.files == []
    reasons = [r for _, s, r in manifest(conn) if s == "rejected"]
    assert sorted(reasons) == sorted(
        [
            f"{POP}/link.csv: link points outside the landing zone",
            "jd_pop_orders/acme/2026-03-02: linked directory, not followed",
            f"{POP}/orders (1).csv: file name has characters outside [A-Za-z0-9._-] and CJK",
            f"{POP}/extra/orders.csv: path does not fit the template jd_pop_orders/<brand>/<period>/<file>",
            "jd_pop_orders/ACME/2026-03-01/orders.csv: brand folder 'ACME' must match [a-z0-9_]{2,32}",
            "jd_pop_orders/acme/2026-13-01/orders.csv: period folder '2026-13-01' is not a valid daily period",
            f"{POP}/orders.txt: file type .txt not expected for jd_pop_orders (csv)",
            "random_drop: path fits no source (unknown folder 'random_drop')",
        ]
    )
    assert conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0] == 0
    load(conn, landing, "jd_pop_orders")  # recorded once
    assert conn.execute("SELECT count(*) FROM ops.load_manifest").fetchone()[0] == 8


def test_batch_parse_failure_falls_back_to_file_by_file(
    landing: Path, conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the one parsing query of a batch fails, each file is retried alone; a file that still
    cannot be parsed is rejected and the others load."""
    import jd_pipeline.ingest.loader as loader_module

    real = loader_module.typed_sql

    def flaky(contract, present, bases, only_file=None):  # type: ignore[no-untyped-def]
        if only_file in (None, 0):
            return "SELECT error('simulated parse failure')"
        return real(contract, present, bases, only_file=only_file)

    monkeypatch.setattr(loader_module, "typed_sql", flaky)
    for day in ("2026-03-01", "2026-03-02"):
        rows = [[*r[:5], f"{day} 10:00:00", *r[6:]] for r in pop_rows()]
        write_csv(landing, f"jd_pop_orders/acme/{day}/orders.csv", POP_HEADERS, rows)
    summary = load(conn, landing, "jd_pop_orders", DAY, "2026-03-02")
    got = sorted((f.path.split("/")[2], f.status) for f in summary.files)
    assert got == [("2026-03-01", "rejected"), ("2026-03-02", "loaded")]
    assert summary.rejected[f"{POP}/orders.csv"].endswith(
        "cannot be parsed: Invalid Input Error: simulated parse failure"
    )
    assert conn.execute("SELECT count(*), min(_period) FROM raw.jd_pop_orders").fetchone() == (
        4,
        "2026-03-02",
    )


def test_xls_that_is_really_html_is_rejected(landing: Path, conn) -> None:
    write_bytes(
        landing,
        f"jd_sz_sku/acme/pop/{DAY}/sku.xls",
        "<html><table><tr><td>时间</td></tr></table></html>".encode(),
    )
    f = one(load(conn, landing, "jd_sz_sku"))
    assert (f.status, f.reason) == (
        "rejected",
        f"jd_sz_sku/acme/pop/{DAY}/sku.xls: not an .xls workbook (content looks like HTML)",
    )


def test_totals_cover_quarantined_rows_but_not_repeated_duplicates(landing: Path, conn) -> None:
    headers = contract_headers("jd_vc_sales")
    row = [DAY, "200000000001", "羽绒服", "ACME", "服饰", "外套", "羽绒服", 5, 100, 60, 40, 0, 0]
    mangled = [DAY, "2.00000E+11", "围巾", "ACME", "服饰", "配饰", "围巾", 1, 50, 30, 20, 0, 0]
    write_xlsx(
        landing,
        f"jd_vc_sales/acme/{DAY}/vc.xlsx",
        headers,
        [row, mangled, list(row), ["合计", "", "", "", "", "", "", 6, 150, 90, 60, 0, 0]],
    )
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_total) == (3, 1, 2, 1)
    assert f.reason is None  # the file adds up: no disagreement
    assert conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE total_value <> detail_value) FROM ops.file_totals"
    ).fetchone() == (6, 0)


def test_plan_version_copied_under_another_name_is_a_duplicate(landing: Path, conn) -> None:
    """Plan versions are kept per file name, but the same bytes under another name (`-副本`)
    are the same version, not a second one (else every plan line would count twice)."""
    sample_fin_sales_plan(landing)
    original = landing / "fin_sales_plan" / "acme" / "2026" / "sales_plan_2026_q2.xlsx"
    write_bytes(landing, "fin_sales_plan/acme/2026/sales_plan_2026_q2-副本.xlsx", original.read_bytes())
    summary = load(conn, landing, "fin_sales_plan", start="2026", end="2026")
    status = {f.path.rsplit("/", 1)[1]: f.status for f in summary.files}
    assert status["sales_plan_2026_budget.xlsx"] == "loaded"
    assert sorted([status["sales_plan_2026_q2.xlsx"], status["sales_plan_2026_q2-副本.xlsx"]]) == [
        "duplicate",
        "loaded",
    ]
    assert conn.execute("SELECT count(DISTINCT _load_id) FROM raw.fin_sales_plan").fetchone()[0] == 2
