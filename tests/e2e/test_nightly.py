"""Nightly runs on hand-made files: restatements give what a rebuild gives, a bad source holds back
only what depends on it, brands come from the configuration.

PO lines (brand acme, self-operated), worked out by hand:

| export day | PO / SKU        | 状态   | 完成时间         | 实收 × 采购价 |
|------------|-----------------|--------|------------------|---------------|
| 2026-03-10 | PO1 / 200000001 | 已完成 | 2026-03-10 15:00 | 10 × 50 = 500 |
| 2026-03-10 | PO2 / 200000002 | 已完成 | 2026-03-10 16:00 | 5 × 20 = 100  |
| 2026-03-12 | PO1 / 200000001 | 已完成 | 2026-03-11 09:00 | 8 × 50 = 400  |  moved a day, corrected
| 2026-03-12 | PO2 / 200000002 | 已取消 | 2026-03-10 16:00 | —             |  cancelled after completion

After the night of 03-10: 03-10 has S1 10/500 and S2 5/100. After the night of 03-12: exactly one
row, 03-11 S1 8 units 400.00 — the same as a rebuild from the two files.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.extract_files import write_csv, write_extract, write_xlsx
from tests.ingest import samples

pytestmark = pytest.mark.slow


def po_line(po: str, sku: str, qty: int, price: str, status: str, completed: str) -> list[object]:
    return [
        po,
        "2026-03-05 09:00:00",
        sku,
        f"商品{sku[-1]}",
        "北京",
        qty,
        qty,
        qty,
        price,
        str(Decimal(price) * qty),
        status,
        "2026-03-09",
        completed,
    ]


BRANDS_YAML = """brands:
  - code: acme
    jd_brand_names: [ACME]
    stores: [pop, self]
    pop_commission_rates: {服饰: 0.08, '*': 0.06}
  - code: popx
    jd_brand_names: [POPX品牌, POPX]
    stores: [pop]
    pop_commission_rates: {'*': 0.05}
"""


@contextmanager
def data_dir_env(root: Path) -> Iterator[Path]:
    """Point the pipeline at `root` (JD_DATA_DIR, DAGSTER_HOME) for the block."""
    for sub in ("landing", "warehouse", "serving", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    saved = {name: os.environ.get(name) for name in ("JD_DATA_DIR", "DAGSTER_HOME")}
    os.environ["JD_DATA_DIR"] = str(root)
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        yield root
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(start: str, end: str | None = None, marts_only: bool = False):
    """`jd-pipeline run` in-process; `marts_only`: the groups that build the marts (runtime/replay.py)."""
    from jd_pipeline.orchestrate import run_pipeline
    from jd_pipeline.runtime.replay import MART_GROUPS

    return run_pipeline(
        date.fromisoformat(start),
        date.fromisoformat(end or start),
        progress=lambda _: None,
        skip_publish=marts_only,
        only_groups=MART_GROUPS if marts_only else None,
    )


def query(root: Path, sql: str, db: str = "warehouse/warehouse.duckdb") -> list[tuple]:
    with duckdb.connect(str(root / db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def table(root: Path, name: str) -> list[tuple]:
    return sorted(query(root, f"select * from {name}"), key=repr)


def touch_newer(path: Path, seconds: int) -> None:
    """A re-delivery is newer than what it replaces (mtime decides without a _pulled suffix)."""
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + seconds))


# ------------------------------------------------------------------------------- PO restatements
def write_po(landing: Path, day: str, rows: list[list[object]]) -> Path:
    return write_extract(landing, f"jd_vc_purchase_orders/acme/{day}/po.csv", rows, bom=True)


@pytest.fixture(scope="module")
def po_nights(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("po_nightly") / "data"
    with data_dir_env(root):
        (root / "brands.yaml").write_text(BRANDS_YAML, encoding="utf-8")
        landing = root / "landing"
        write_po(
            landing,
            "2026-03-10",
            [
                po_line("PO1", "200000001", 10, "50.00", "已完成", "2026-03-10 15:00:00"),
                po_line("PO2", "200000002", 5, "20.00", "已完成", "2026-03-10 16:00:00"),
            ],
        )
        first = run("2026-03-10", marts_only=True)
        after_first = table(root, "marts.fct_sell_in_daily")
        write_po(
            landing,
            "2026-03-12",
            [
                po_line("PO1", "200000001", 8, "50.00", "已完成", "2026-03-11 09:00:00"),
                po_line("PO2", "200000002", 5, "20.00", "已取消", "2026-03-10 16:00:00"),
            ],
        )
        second = run("2026-03-12", marts_only=True)
        nightly = {
            name: table(root, name) for name in ("marts.fct_sell_in_daily", "marts.fct_ecom_pnl_monthly")
        }
    rebuilt_root = tmp_path_factory.mktemp("po_rebuild") / "data"
    shutil.copytree(root / "landing", rebuilt_root / "landing")
    shutil.copy(root / "brands.yaml", rebuilt_root / "brands.yaml")
    with data_dir_env(rebuilt_root):
        rebuild = run("2026-03-10", "2026-03-12", marts_only=True)
        rebuilt = {name: table(rebuilt_root, name) for name in nightly}
    return {
        "first": first,
        "second": second,
        "rebuild": rebuild,
        "after_first": after_first,
        "nightly": nightly,
        "rebuilt": rebuilt,
    }


def test_po_nights_succeed(po_nights) -> None:
    for name in ("first", "second", "rebuild"):
        assert po_nights[name].success, po_nights[name].render()


def test_first_night_counts_both_completed_lines(po_nights) -> None:
    assert [r[:5] for r in po_nights["after_first"]] == [
        (date(2026, 3, 10), "acme", "200000001", 10, Decimal("500.00")),
        (date(2026, 3, 10), "acme", "200000002", 5, Decimal("100.00")),
    ]


def test_moved_and_corrected_line_leaves_one_row_cancelled_line_none(po_nights) -> None:
    rows = po_nights["nightly"]["marts.fct_sell_in_daily"]
    assert rows == [(date(2026, 3, 11), "acme", "200000001", 8, Decimal("400.00"), 1)]


def test_nightly_equals_rebuild(po_nights) -> None:
    assert po_nights["nightly"] == po_nights["rebuilt"]
    pnl_self = [r for r in po_nights["nightly"]["marts.fct_ecom_pnl_monthly"] if r[3] == "self"]
    assert [(r[0], r[5]) for r in pnl_self] == [("2026-03", Decimal("400.00"))]  # revenue = sell-in, once


# ------------------------------------------------------------------------ a bad ledger line holds back
USD_LINE = [
    "V2026030009",
    "1",
    "2026-03-20",
    "2026-03",
    "JD-POP",
    "6601.01",
    "销售费用-广告费",
    "Google",
    "海外广告",
    "100.00",
    "0",
    "USD",
]
FIX_LINE = [
    "V2026030009",
    "1",
    "2026-03-20",
    "2026-03",
    "JD-POP",
    "6601.01",
    "销售费用-广告费",
    "京东",
    "补充快车充值",
    "500.00",
    "0",
    "CNY",
]


def write_gl(landing: Path, extra: list[list[str]], newer_by: int) -> None:
    path = write_csv(
        landing,
        "fin_opex_actuals/acme/2026-03/gl_202603.csv",
        samples.GL_HEADERS,
        samples.gl_rows() + extra,
        encoding="gb18030",
    )
    touch_newer(path, newer_by)


def land_daily_sources(landing: Path) -> None:
    """POP, ads, VC and 商智 of 2026-03-01 for acme, and a POP-only brand `popx` with its 品牌榜."""
    samples.sample_ref_products(landing)
    samples.sample_jd_pop_orders(landing)
    samples.sample_jd_ads(landing)
    samples.sample_jd_vc_sales(landing)
    samples.sample_jd_sz_sku(landing)
    write_csv(landing, "jd_pop_orders/popx/2026-03-01/orders.csv", samples.POP_HEADERS, samples.POP_ROWS[:2])
    write_xlsx(
        landing,
        "jd_sz_industry/popx/2026-03/industry.xlsx",
        ["月份", "三级类目", "排名", "品牌", "成交金额指数", "访客指数", "搜索指数", "成交金额区间"],
        [
            ["2026-03", "T恤", 1, "BrandX", 98000, 120000, 50000, "1000万以上"],
            ["2026-03", "T恤", 2, "POPX品牌", 65000, 80000, 30000, "250万~500万"],
            ["2026-03", "T恤", 3, "ACME", 40000, 60000, 20000, "100万~250万"],
        ],
    )


def opex(root: Path) -> dict[tuple[str, str], Decimal]:
    return {
        (c, t): a
        for c, t, a in query(
            root,
            "select cost_center, cost_type, actual from marts.fct_opex_monthly "
            "where brand = 'acme' and month = '2026-03' and actual <> 0",
        )
    }


@pytest.fixture(scope="module")
def ledger_nights(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("ledger") / "data"
    out: dict[str, object] = {"root": root}
    with data_dir_env(root):
        (root / "brands.yaml").write_text(BRANDS_YAML, encoding="utf-8")
        landing = root / "landing"
        write_gl(landing, [], 0)
        out["night1"] = run("2026-03-01")
        out["opex1"] = opex(root)
        out["published1"] = (root / "serving" / "warehouse.duckdb").stat().st_mtime_ns
        land_daily_sources(landing)
        write_gl(landing, [USD_LINE], 60)
        out["night2"] = run("2026-03-01")
        out["opex2"] = opex(root)
        out["sales2"] = query(
            root,
            "select store_type, count(*), sum(gmv) from marts.fct_sales_daily "
            "where date_day = '2026-03-01' and brand = 'acme' group by 1 order by 1",
        )
        out["ads2"] = query(root, "select count(*), sum(cost) from marts.fct_ads_daily where brand = 'acme'")
        out["funnel2"] = query(
            root,
            "select store_type, count(*) from marts.fct_sku_funnel_daily "
            "where brand = 'acme' group by 1 order by 1",
        )
        out["industry2"] = query(
            root,
            "select brand, brand_name, is_own_brand from marts.fct_industry_share_monthly "
            "order by brand, rank",
        )
        out["dim_brand2"] = query(root, "select brand, jd_brand_name from marts.dim_brand order by 1")
        out["held2"] = query(root, "select asset, reason from ops.held_assets order by 1")
        out["published2"] = (root / "serving" / "warehouse.duckdb").stat().st_mtime_ns
        write_gl(landing, [FIX_LINE], 120)
        out["night3"] = run("2026-03-02")
        out["opex3"] = opex(root)
        out["held3"] = query(root, "select count(*) from ops.held_assets")[0][0]
        out["published3"] = (root / "serving" / "warehouse.duckdb").stat().st_mtime_ns
    return out


def test_clean_first_night(ledger_nights) -> None:
    assert ledger_nights["night1"].success, ledger_nights["night1"].render()
    assert ledger_nights["opex1"] == {
        ("pop", "ads"): Decimal("11000.00"),
        ("shared", "staff"): Decimal("8000.00"),
    }


def test_bad_ledger_line_holds_back_only_opex_and_pnl(ledger_nights) -> None:
    report = ledger_nights["night2"]
    assert not report.success
    held = set(report.held)
    assert {"marts/fct_opex_monthly", "marts/fct_ecom_pnl_monthly", "publish/serving_warehouse"} <= held
    for independent in (
        "raw/jd_pop_orders",
        "raw/jd_ads",
        "raw/jd_vc_sales",
        "raw/jd_sz_sku",
        "marts/fct_sales_daily",
        "marts/fct_ads_daily",
        "marts/fct_sku_funnel_daily",
        "marts/fct_industry_share_monthly",
        "marts/dim_sku",
    ):
        assert independent not in held, (independent, report.held.get(independent))
    assert all("fin_opex_actuals" in reason for reason in report.held.values()), report.held
    rendered = report.render()
    assert "HELD" in rendered and "raw/fin_opex_actuals" in rendered and "raw/jd_pop_orders" in rendered
    assert ledger_nights["held2"] and {a for a, _ in ledger_nights["held2"]} == held


def test_other_sources_load_and_their_marts_update(ledger_nights) -> None:
    # POP: sample lines 300001 (2 lines, dealt: gmv 2×1234.50 + 99) and 300002/300003 not dealt.
    assert ledger_nights["sales2"] == [("pop", 2, Decimal("2568.00")), ("self", 4, Decimal("3054.00"))]
    assert ledger_nights["ads2"] == [(2, Decimal("800.00"))]
    assert ledger_nights["funnel2"] == [("pop", 2), ("self", 1)]


def test_held_marts_keep_their_previous_state_and_nothing_is_published(ledger_nights) -> None:
    assert ledger_nights["opex2"] == ledger_nights["opex1"]  # the USD line never reached the mart
    assert ledger_nights["published2"] == ledger_nights["published1"]


def test_next_clean_run_catches_up(ledger_nights) -> None:
    assert ledger_nights["night3"].success, ledger_nights["night3"].render()
    assert ledger_nights["opex3"] == {
        ("pop", "ads"): Decimal("11500.00"),
        ("shared", "staff"): Decimal("8000.00"),
    }
    assert ledger_nights["held3"] == 0
    assert ledger_nights["published3"] != ledger_nights["published2"]


def test_pop_only_brand_matches_its_own_brand_list_row_through_the_configuration(ledger_nights) -> None:
    assert ("popx", "POPX品牌") in ledger_nights["dim_brand2"]
    assert ledger_nights["industry2"] == [
        ("popx", "BrandX", False),
        ("popx", "POPX品牌", True),
        ("popx", "ACME", False),
    ]


def test_unconfigured_brand_folder_is_a_clear_error(tmp_path) -> None:
    from jd_pipeline.brands import BrandConfigError

    root = tmp_path / "data"
    with data_dir_env(root):
        (root / "brands.yaml").write_text(BRANDS_YAML, encoding="utf-8")
        samples.sample_jd_ads(root / "landing")
        shutil.move(root / "landing" / "jd_ads" / "acme", root / "landing" / "jd_ads" / "newbrand")
        with pytest.raises(BrandConfigError, match="newbrand"):
            run("2026-03-01")


def test_window_without_files_is_not_ok_and_missing_deliveries_are_named(tmp_path) -> None:
    root = tmp_path / "data"
    with data_dir_env(root):
        (root / "brands.yaml").write_text(BRANDS_YAML, encoding="utf-8")
        samples.sample_jd_ads(root / "landing")  # acme's ads of 2026-03-01 only
        # A window before that file: nothing in it and nothing late to take in (a later run would load
        # the 03-01 file as a late delivery, which is not "no data").
        empty = run("2026-02-01")
        assert empty.no_data and not empty.success and not empty.outcomes
        assert "NO DATA" in empty.render()
        assert not (root / "serving" / "warehouse.duckdb").exists()
        from jd_pipeline.config import get_settings
        from jd_pipeline.runtime.catch_up import missing_deliveries

        gaps = missing_deliveries(
            get_settings().landing_dir,
            {"acme": ("pop", "self"), "popx": ("pop",)},
            date(2026, 3, 1),
            date(2026, 3, 2),
        )
        assert "jd_ads acme: no file for 2026-03-02" in gaps
        assert "jd_pop_orders acme: no file for 2026-03-01, 2026-03-02" in gaps
        assert "jd_vc_sales popx: no file for 2026-03-01, 2026-03-02" not in gaps  # popx has no self store
        assert "jd_sz_sku/pop popx: no file for 2026-03-01, 2026-03-02" in gaps
