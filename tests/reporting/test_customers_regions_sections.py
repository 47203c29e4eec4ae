"""The business review's customers and regions sections on the hand-made fixture of the customer and
region marts (tests/dbt/fixture_customers_regions.py): their figures are the hand-worked ones, and the
rendered HTML shows both sections with their charts in a real browser (screenshot kept)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from jd_pipeline.reporting.customers_regions import customers_section, regions_section
from jd_pipeline.reporting.model import Report
from jd_pipeline.reporting.render import render_html
from tests.browser import screenshot
from tests.dbt import fixture_customers_regions as fx
from tests.dbt import raw_fixture
from tests.dbt.support import run_dbt

pytestmark = pytest.mark.dbt  # runs dbt itself (support.run_dbt)

MARTS = [
    "fct_customer_monthly",
    "fct_customer_cohort",
    "fct_region_sales_monthly",
    "fct_region_budget_vs_actual_monthly",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cr_reports")
    (data_dir / "warehouse").mkdir()
    db = data_dir / "warehouse" / "warehouse.duckdb"
    with duckdb.connect(str(db)) as conn:
        raw_fixture.create_raw_tables(conn)
        fx.load_base(conn)
    run_dbt(data_dir, "seed")
    run_dbt(data_dir, "run", "--select", *[f"+{m}" for m in MARTS])
    return db


def _table(section, sheet: str):
    (table,) = [t for t in section.tables if t.sheet == sheet]
    return table.frame


def test_customers_section_figures(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        section, keys = customers_section(conn, "acme", "2026-01")
    values = {k.key: k.value for k in keys}
    # January: B3 new (two orders), B2 returning (first month December) -> 1 of 2 buyers repeat
    assert values == {"new_buyers": 1.0, "returning_buyers": 1.0, "repeat_rate": 0.5}
    segments = _table(section, "客户分层")
    assert segments[["segment", "buyers", "orders"]].values.tolist() == [["新客", 1, 2], ["老客", 1, 1]]
    trend = _table(section, "客户趋势")
    assert trend["month"].tolist() == ["2025-12", "2026-01"]
    assert trend["new_buyers"].tolist() == [2, 1]
    cohorts = _table(section, "首购留存")  # as of January: the February activity is not shown yet
    assert cohorts[["cohort_month", "months_since", "active_buyers"]].values.tolist() == [
        ["2025-12", 0, 2],
        ["2025-12", 1, 1],
        ["2026-01", 0, 1],
    ]
    assert len(section.charts) == 3  # new vs returning, repeat rate, cohort heat map
    assert any("不足12个月" in n for n in section.notes)


def test_regions_section_figures(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        section, keys = regions_section(conn, "acme", "2026-02")
    # February POP: 华南 300.00, 未分配 40.00 (O9 without province), 华北 budgeted only by the revision
    assert {k.key: k.value for k in keys} == {"region_unassigned_share": pytest.approx(40 / 340)}
    frame = _table(section, "大区预算达成")
    got = [
        (s, r, None if pd.isna(b) else float(b), None if pd.isna(p) else float(p), float(a))
        for s, r, b, p, a in frame[["store_type", "region", "budget_gmv", "plan_gmv", "actual_gmv"]].values
    ]
    assert got == [
        ("POP店", "华南", 400.0, 350.0, 300.0),
        ("POP店", "华北", None, 100.0, 0.0),
        ("POP店", "未分配", None, None, 40.0),
    ]
    assert len(section.charts) == 1 and any("未分配" in n for n in section.notes)


def test_sections_render_in_the_browser(warehouse: Path, tmp_path: Path, page) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        customers, customer_keys = customers_section(conn, "acme", "2026-02")
        regions, region_keys = regions_section(conn, "acme", "2026-01")
    report = Report(
        kind="monthly_business_review",
        brand="acme",
        period="2026-02",
        title="acme 客户与大区 (fixture)",
        file_stem="customers_regions",
        key_numbers=customer_keys + region_keys,
        sections=[customers, regions],
    )
    html_path = tmp_path / "customers_regions.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    page.goto(html_path.as_uri())
    body = page.inner_text("body")
    assert "客户: 新客 vs 老客, 复购与留存 (POP店)" in body and "大区: 预算 vs 实际" in body
    assert "未分配" in body and "华北" in body
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 4 and all(w > 100 for w in widths)
    screenshot(page, "mbr_customers_regions_fixture")
