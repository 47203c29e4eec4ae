"""Issue 22, exact parsing and row-level damage: numbers only in the forms of sources.md, control
bytes anywhere, duplicated headers, formulas without values, hidden sheets, mixed line endings,
unbalanced quotes, oversized fields. Hand-made files; each test names the exact outcome."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from jd_pipeline.ingest.loader import LoadSummary
from tests.extract_files import contract_headers, write_bytes, write_csv
from tests.ingest.helpers import SALT
from tests.ingest.samples import ADS_HEADERS, POP_HEADERS, POP_ROWS, ads_rows

DAY = "2026-03-01"
POP = f"jd_pop_orders/acme/{DAY}"
ADS = f"jd_ads/acme/{DAY}/ads_pulled20260302.csv"
VC = f"jd_vc_sales/acme/{DAY}/vc.xlsx"
VC_HEADERS = contract_headers("jd_vc_sales")


def load(conn, landing: Path, source: str) -> LoadSummary:
    return load_partition_range(conn, get_contract(source), DAY, DAY, landing, salt=SALT)


def one(summary: LoadSummary):
    files = [f for f in summary.files if f.status != "skipped"]
    assert len(files) == 1, summary.files
    return files[0]


def quarantine(conn) -> list[tuple]:
    return conn.execute("SELECT row_number, reason FROM ops.quarantine_rows ORDER BY row_number").fetchall()


def many_ads_rows(n: int) -> list[list]:
    """n distinct ad rows (unique campaign ids), cost 1.00 each."""
    base = ads_rows()[1]
    return [[*base[:3], str(9000 + i), *base[4:10], "1.00", *base[11:]] for i in range(n)]


# ------------------------------------------------------------------ numbers


def test_number_forms_not_in_sources_md_are_quarantined(landing: Path, conn) -> None:
    rows = copy.deepcopy(POP_ROWS)
    extra = []
    for k, (qty, price) in enumerate(
        (("0x10", "99"), ("1e3", "99"), ("1_000", "99"), ("2", "1e3"), ("2", "0b101"))
    ):
        r = copy.deepcopy(POP_ROWS[1])
        r[0], r[3], r[6] = str(310000 + k), qty, price
        extra.append(r)
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows + extra)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (9, 4, 5)
    assert quarantine(conn) == [
        (5, "订购数量: cannot parse '0x10' as int"),
        (6, "订购数量: cannot parse '1e3' as int"),
        (7, "订购数量: cannot parse '1_000' as int"),
        (8, "京东价: cannot parse '1e3' as money"),
        (9, "京东价: cannot parse '0b101' as money"),
    ]
    # the forms sources.md lists still parse: ¥1,234.50, ￥1,234.50, 99, 99.00
    assert conn.execute("SELECT sum(unit_price) FROM raw.jd_pop_orders").fetchone()[0] == 2667


# ------------------------------------------------------------------ control bytes


def test_nul_byte_after_the_first_64_kib_quarantines_its_row(landing: Path, conn) -> None:
    rows = many_ads_rows(800)  # ~100 KiB
    rows[700][3] = "97\x0000"  # 计划ID with a NUL, far past the first 64 KiB
    rows[750][6] = "单元\x07B"  # a BEL in 推广单元
    path = write_csv(landing, ADS, ADS_HEADERS, rows, encoding="utf-8", bom=True)
    assert path.read_bytes().index(b"\x00") > 1 << 16
    f = one(load(conn, landing, "jd_ads"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 800, 798, 2)
    assert quarantine(conn) == [
        (701, "control character (NUL or another byte below 0x20) in 计划ID"),
        (751, "control character (NUL or another byte below 0x20) in 推广单元"),
    ]
    assert (
        conn.execute(
            "SELECT count(*) FROM raw.jd_ads WHERE regexp_matches(campaign_id || adgroup_name, "
            "'[\\x00-\\x08]')"
        ).fetchone()[0]
        == 0
    )
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 798


def test_nul_byte_in_a_personal_column_quarantines_the_row_without_its_value(landing: Path, conn) -> None:
    rows = copy.deepcopy(POP_ROWS)
    rows[2][15] = "李\x00四"  # 客户姓名: never stored, the row is still damaged
    write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_loaded, f.rows_quarantined) == (3, 1)
    ((rn, reason, raw),) = conn.execute(
        "SELECT row_number, reason, raw_values FROM ops.quarantine_rows"
    ).fetchall()
    assert (rn, reason) == (3, "control character (NUL or another byte below 0x20) in 客户姓名")
    assert "李" not in raw and "客户姓名" not in json.loads(raw)


# ------------------------------------------------------------------ headers


def test_duplicated_known_header_rejects_the_file(landing: Path, conn) -> None:
    headers = [*POP_HEADERS[:7], "订单金额", *POP_HEADERS[7:]]  # 订单金额 twice, the first copy empty
    rows = [[*r[:7], "", *r[7:]] for r in POP_ROWS]
    write_csv(landing, f"{POP}/orders.csv", headers, rows)
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.status, f.reason) == (
        "rejected",
        f"{POP}/orders.csv: duplicate header 订单金额 at columns 8 and 9",
    )


def test_headerless_file_is_rejected_without_echoing_its_first_line(landing: Path, conn) -> None:
    write_csv(
        landing, f"{POP}/orders.csv", POP_ROWS[0], POP_ROWS[1:]
    )  # the first data row where the header was
    f = one(load(conn, landing, "jd_pop_orders"))
    assert f.status == "rejected"
    assert f.reason.startswith(f"{POP}/orders.csv: missing required header(s) 订单号, 商品ID")
    assert f.reason.endswith("(header line has 24 field(s), 0 of them contract headers)")
    for value in POP_ROWS[0]:
        if len(value) > 2:
            assert value not in f.reason


# ------------------------------------------------------------------ workbooks


def _vc_row(sku: str, revenue: object) -> list:
    return ["2026-03-01", sku, "羽绒服", "ACME", "服饰", "外套", "羽绒服", 5, revenue, 1800, 1195, 50, 0]


def test_formula_without_a_cached_value_quarantines_its_row(landing: Path, conn) -> None:
    path = landing / VC
    path.parent.mkdir(parents=True)
    wb = (
        openpyxl.Workbook()
    )  # openpyxl writes formulas without cached values, like a tool that never calculates
    ws = wb.active
    ws.append(VC_HEADERS)
    ws.append(_vc_row("200000000001", 2995))
    ws.append(_vc_row("200000000002", "=J3+K3"))
    ws.append(_vc_row("200000000003", 100))
    wb.save(path)
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    assert quarantine(conn) == [(2, "formula without a cached value in cell I3")]
    assert conn.execute("SELECT sum(revenue) FROM raw.jd_vc_sales").fetchone()[0] == 3095


def test_the_first_visible_sheet_is_read(landing: Path, conn) -> None:
    path = landing / VC
    path.parent.mkdir(parents=True)
    wb = openpyxl.Workbook()
    stale = wb.active
    stale.title = "旧数据"
    stale.append(VC_HEADERS)
    stale.append(_vc_row("200000000001", 24))
    stale.sheet_state = "hidden"
    current = wb.create_sheet("商品业绩")
    current.append(VC_HEADERS)
    current.append(_vc_row("200000000001", "305,754.57"))
    wb.save(path)
    f = one(load(conn, landing, "jd_vc_sales"))
    assert (f.status, f.rows_loaded) == ("loaded", 1)
    assert str(conn.execute("SELECT revenue FROM raw.jd_vc_sales").fetchone()[0]) == "305754.57"


# ------------------------------------------------------------------ row-level damage


def _ads_file(landing: Path, rows: list[list], newline: str = "\r\n") -> bytes:
    return write_csv(
        landing, ADS, ADS_HEADERS, rows, encoding="utf-8", bom=True, newline=newline
    ).read_bytes()


def test_mixed_line_endings_load_every_line(landing: Path, conn) -> None:
    """A bare LF (or CR) inside a CRLF file stopped DuckDB's parser (the whole day lost): every
    line is a well-formed record, so every line loads with its own row number."""
    data = _ads_file(landing, many_ads_rows(30))
    lines = data.split(b"\r\n")
    data = b"\r\n".join(lines[:10]) + b"\n" + b"\r\n".join(lines[10:20]) + b"\r" + b"\r\n".join(lines[20:])
    write_bytes(landing, ADS, data)
    f = one(load(conn, landing, "jd_ads"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 30, 30, 0)
    assert conn.execute(
        "SELECT min(_row_number), max(_row_number), count(DISTINCT campaign_id) FROM raw.jd_ads"
    ).fetchone() == (1, 30, 30)
    assert conn.execute("SELECT campaign_id FROM raw.jd_ads WHERE _row_number = 12").fetchone()[0] == "9011"


def test_unbalanced_quote_quarantines_its_line_and_the_rest_loads(landing: Path, conn) -> None:
    rows = many_ads_rows(60)
    data = _ads_file(landing, rows).decode("utf-8-sig")
    lines = data.split("\r\n")
    lines[5] = lines[5].replace("单元B", '"显示器 27寸 4K')  # data row 5: an opening quote never closed
    write_bytes(landing, ADS, ("\ufeff" + "\r\n".join(lines)).encode("utf-8"))
    f = one(load(conn, landing, "jd_ads"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 60, 59, 1)
    assert quarantine(conn) == [
        (5, "line 6: malformed quoting (a quote opened or closed in the wrong place)")
    ]
    raw = json.loads(conn.execute("SELECT raw_values FROM ops.quarantine_rows").fetchone()[0])
    assert raw["_raw_line"].startswith("2026-03-01,acme_jd,") and "显示器" in raw["_raw_line"]
    assert conn.execute("SELECT list(_row_number ORDER BY _row_number) FROM raw.jd_ads").fetchone()[0] == [
        *range(1, 5),
        *range(6, 61),
    ]
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 59


def test_unbalanced_quote_in_a_personal_data_source_withholds_the_line(landing: Path, conn) -> None:
    rows = copy.deepcopy(POP_ROWS)
    rows[1][2] = '"显示器 27寸 4K'
    path = write_csv(landing, f"{POP}/orders.csv", POP_HEADERS, rows)
    # csv.writer quoted the field; make the quote unbalanced as a hand-edited export would
    path.write_bytes(
        path.read_bytes().replace('"""显示器 27寸 4K"'.encode("gb18030"), '"显示器 27寸 4K'.encode("gb18030"))
    )
    f = one(load(conn, landing, "jd_pop_orders"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 3, 1)
    ((rn, reason, raw),) = conn.execute(
        "SELECT row_number, reason, raw_values FROM ops.quarantine_rows"
    ).fetchall()
    assert (rn, json.loads(raw)) == (2, {"_raw_line": "<withheld: source has personal data>"})
    assert "quot" in reason  # DuckDB's "unterminated quote" or the line re-read's "malformed quoting"


def test_a_quoted_field_spanning_lines_is_one_row(landing: Path, conn) -> None:
    rows = many_ads_rows(5)
    rows[2][6] = "单元\n第二行"
    _ads_file(landing, rows)
    f = one(load(conn, landing, "jd_ads"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (5, 5, 0)
    assert (
        conn.execute("SELECT adgroup_name FROM raw.jd_ads WHERE _row_number = 3").fetchone()[0]
        == "单元\n第二行"
    )
    # row numbers are the data line a row starts on: the row after the two-line field is row 5
    assert conn.execute("SELECT list(_row_number ORDER BY _row_number) FROM raw.jd_ads").fetchone()[0] == [
        1,
        2,
        3,
        5,
        6,
    ]
    assert conn.execute("SELECT campaign_id FROM raw.jd_ads WHERE _row_number = 5").fetchone()[0] == "9003"


def test_blank_lines_are_no_rows_and_keep_line_numbers(landing: Path, conn) -> None:
    data = _ads_file(landing, many_ads_rows(4))
    lines = data.split(b"\r\n")
    write_bytes(landing, ADS, b"\r\n".join([*lines[:3], b"", *lines[3:]]))
    f = one(load(conn, landing, "jd_ads"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 4, 0)
    assert conn.execute("SELECT list(_row_number ORDER BY _row_number) FROM raw.jd_ads").fetchone()[0] == [
        1,
        2,
        4,
        5,
    ]


def test_a_5_mb_field_quarantines_its_line(landing: Path, conn) -> None:
    rows = many_ads_rows(10)
    rows[3][4] = "计划" * ((5 << 20) // 6 + 1)  # 推广计划 of ~5 MB of UTF-8
    _ads_file(landing, rows)
    f = one(load(conn, landing, "jd_ads"))
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 10, 9, 1)
    ((rn, reason, raw),) = conn.execute(
        "SELECT row_number, reason, raw_values FROM ops.quarantine_rows"
    ).fetchall()
    assert (rn, reason) == (4, "field over 1,048,576 bytes in 推广计划")
    assert len(raw) < 10_000  # the value is cut in the quarantine copy


def test_a_5_mb_field_in_a_damaged_file_is_quarantined_by_the_line_reread(landing: Path, conn) -> None:
    rows = many_ads_rows(10)
    rows[3][4] = "计划" * ((5 << 20) // 6 + 1)
    data = _ads_file(landing, rows)
    write_bytes(landing, ADS, data.replace(b"\r\n", b"\n", 2))  # mixed endings: the line-by-line re-read
    f = one(load(conn, landing, "jd_ads"))
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (10, 9, 1)
    assert quarantine(conn) == [(4, "line 5: field over 1,048,576 bytes in 推广计划")]
