"""A full refresh and an incremental history (window by window, day by day over the fixture's days)
give identical mart tables and kpi.headline_daily; plus the error-severity guards (unknown 产品线)
really block."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from tests.dbt.support import EXCLUDE, make_data_dir, run_dbt

pytestmark = pytest.mark.dbt  # runs dbt itself (support.run_dbt)

MARTS = [
    "fct_sales_daily",
    "fct_pop_sales_by_province_daily",
    "fct_sku_funnel_daily",
    "fct_traffic_daily",
    "fct_ads_daily",
    "fct_inventory_daily",
    "fct_sell_in_daily",
    "fct_campaign_recap",
    "fct_industry_share_monthly",
    "fct_plan_vs_actual_monthly",
    "fct_gtm_season",
    "fct_opex_monthly",
    "fct_ecom_pnl_monthly",
    "fct_customer_monthly",
    "fct_customer_cohort",
    "fct_region_sales_monthly",
    "fct_region_budget_vs_actual_monthly",
]

# Windows as Dagster would pass them: a back-fill range, then day by day over the fixture's data days
# (03-03 only re-exports a PO line completed on 03-02), a range, and the estimate month's day.
WINDOWS = [
    ("2025-01-01", "2026-02-28"),
    ("2026-03-01", "2026-03-01"),
    ("2026-03-02", "2026-03-02"),
    ("2026-03-03", "2026-03-03"),
    ("2026-03-04", "2026-03-31"),
    ("2026-04-01", "2026-04-01"),
]


def snapshot(db: Path) -> dict[str, tuple[str, int]]:
    conn = duckdb.connect(str(db), read_only=True)
    out = {}
    for t in MARTS:
        data = sorted(map(repr, conn.execute(f"select * from marts.{t}").fetchall()))
        out[t] = (hashlib.sha256("\n".join(data).encode()).hexdigest(), len(data))
    conn.close()
    return out


@pytest.fixture(scope="module")
def incremental_dir(tmp_path_factory) -> Path:
    data_dir = make_data_dir(tmp_path_factory.mktemp("jd_incr"))
    run_dbt(data_dir, "seed")
    first = True
    for lo, hi in WINDOWS:
        args = ["run", *EXCLUDE] + (["--full-refresh"] if first else [])
        run_dbt(data_dir, *args, vars={"min_date": lo, "max_date": hi})
        first = False
    return data_dir


def test_full_refresh_equals_incremental_history(built_warehouse, incremental_dir):
    full = snapshot(built_warehouse / "warehouse" / "warehouse.duckdb")
    incr = snapshot(incremental_dir / "warehouse" / "warehouse.duckdb")
    assert all(n > 0 for _, n in full.values()), full
    diff = {t: (full[t], incr[t]) for t in MARTS if full[t] != incr[t]}
    assert not diff, diff


def test_headline_full_refresh_equals_incremental_history(built_warehouse, incremental_dir):
    # every column, opex_ratio_ytd included: a row reads only months that ended by its day
    query = "select * from kpi.headline_daily order by date_day, brand"
    with duckdb.connect(str(built_warehouse / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        full = conn.execute(query).fetchall()
    with duckdb.connect(str(incremental_dir / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        incr = conn.execute(query).fetchall()
    assert len(full) == 4 and incr == full


def test_rerunning_a_day_replaces_it(incremental_dir):
    before = snapshot(incremental_dir / "warehouse" / "warehouse.duckdb")
    run_dbt(incremental_dir, "run", *EXCLUDE, vars={"min_date": "2026-03-01", "max_date": "2026-03-01"})
    assert snapshot(incremental_dir / "warehouse" / "warehouse.duckdb") == before


def test_unknown_product_line_fails_the_build(incremental_dir):
    conn = duckdb.connect(str(incremental_dir / "warehouse" / "warehouse.duckdb"))
    conn.execute(
        "insert into raw.jd_ads (_load_id, _brand, _period, _row_number, date_day, product_line, campaign_id, "
        "adgroup_id, sku_id, cost) values ('x', 'acme', '2026-03-09', 1, date '2026-03-09', '神秘广告', "
        "'C9', 'G9', 'P1', 1.00)"
    )
    conn.close()
    proc = run_dbt(incremental_dir, "test", "--select", "stg_jd_ads__sku_daily", check=False)
    assert proc.returncode != 0
    assert "not_null_stg_jd_ads__sku_daily_product_line" in proc.stdout


def test_inventory_check_ignores_the_totals_of_a_replaced_delivery(incremental_dir):
    # A corrected re-delivery replaces the day: the first delivery's detail rows leave raw, its 全国
    # totals stay in ops.file_totals (lineage). Counting them too doubled the national side.
    conn = duckdb.connect(str(incremental_dir / "warehouse" / "warehouse.duckdb"))
    conn.execute(
        "insert into ops.file_totals by name select * replace ('replaced-delivery' as load_id, "
        "total_value + 5 as total_value) from ops.file_totals where source = 'jd_vc_inventory'"
    )
    conn.close()
    try:
        proc = run_dbt(
            incremental_dir, "test", "--select", "assert_inventory_rdc_sums_equal_national", check=False
        )
        assert proc.returncode == 0, proc.stdout[-3000:]
    finally:
        with duckdb.connect(str(incremental_dir / "warehouse" / "warehouse.duckdb")) as conn:
            conn.execute("delete from ops.file_totals where load_id = 'replaced-delivery'")


def test_inventory_national_mismatch_fails(incremental_dir):
    conn = duckdb.connect(str(incremental_dir / "warehouse" / "warehouse.duckdb"))
    conn.execute(
        "update ops.file_totals set total_value = total_value + 1 "
        "where total_label = '配送中心=全国 (SKU=S1)' and column_name = 'on_hand'"
    )
    conn.close()
    proc = run_dbt(
        incremental_dir, "test", "--select", "assert_inventory_rdc_sums_equal_national", check=False
    )
    assert proc.returncode != 0
