"""Customer and region marts (issue 20) on a hand-made fixture (fixture_customers_regions.py), every
expected value worked out by hand from its rows; plus nightly runs after late deliveries (a new
region master, a budget revision, an earlier first order, new orders) equal a full rebuild."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

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
SELECT = [
    "--select",
    *[f"+{m}" for m in MARTS],
    "stg_fin_sales_plan__plan_lines",
    "+dim_brand",
    "+dim_store",
    "--indirect-selection",
    "cautious",
]


def make_dir(root: Path, **kwargs) -> Path:
    (root / "warehouse").mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"))
    raw_fixture.create_raw_tables(conn)
    fx.load_base(conn, **kwargs)
    conn.close()
    return root


def connect(data_dir: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=read_only)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    data_dir = make_dir(tmp_path_factory.mktemp("jd_cr"))
    run_dbt(data_dir, "build", *SELECT)
    return data_dir


@pytest.fixture(scope="module")
def wh(built):
    conn = connect(built)
    yield conn
    conn.close()


def q(conn, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


# ----------------------------------------------------------------------------------------- customers
def test_new_vs_returning_across_month_boundaries(wh):
    got = q(
        wh,
        """select brand, month, segment, buyers, orders, units, gmv, net_sales, multi_order_buyers,
                          repeat_rate, history_months, is_history_short
                   from marts.fct_customer_monthly order by brand, month, segment""",
    )
    assert got == [
        # December: B1 (12-10) and B2 (12-31) buy for the first time; history starts mid-December.
        ("acme", "2025-12", "new", 2, 2, 3, D("200.00"), D("190.00"), 0, 0.0, 0, True),
        ("acme", "2025-12", "returning", 0, 0, 0, D("0.00"), D("0.00"), 0, None, 0, True),
        # January: B2 (first month December, bought 12-31) is returning on 01-01; B3 new with two
        # orders (multi-order); B4's unpaid order and B1's cancelled one make no buyer.
        ("acme", "2026-01", "new", 1, 2, 2, D("260.00"), D("240.00"), 1, 1.0, 0, True),
        ("acme", "2026-01", "returning", 1, 1, 1, D("80.00"), D("80.00"), 0, 0.0, 0, True),
        # February: B4 new (its January order was never paid); B1 returning (first month December).
        ("acme", "2026-02", "new", 1, 1, 1, D("40.00"), D("40.00"), 0, 0.0, 1, True),
        ("acme", "2026-02", "returning", 1, 1, 3, D("300.00"), D("280.00"), 0, 0.0, 1, True),
        # beta: history from 2025-01-05, so 2025-02 is its first whole month; 2026-02 has 12 before it.
        ("beta", "2025-01", "new", 1, 1, 1, D("10.00"), D("10.00"), 0, 0.0, 0, True),
        ("beta", "2025-01", "returning", 0, 0, 0, D("0.00"), D("0.00"), 0, None, 0, True),
        ("beta", "2026-02", "new", 0, 0, 0, D("0.00"), D("0.00"), 0, None, 12, False),
        ("beta", "2026-02", "returning", 1, 1, 1, D("10.00"), D("10.00"), 0, 0.0, 12, False),
    ]


def test_cohort_retention(wh):
    got = q(
        wh,
        """select brand, cohort_month, months_since, activity_month, cohort_buyers, active_buyers,
                          retention_rate, orders, gmv, net_sales, cohort_history_months, is_history_short
                   from marts.fct_customer_cohort order by brand, cohort_month, months_since""",
    )
    assert got == [
        ("acme", "2025-12", 0, "2025-12", 2, 2, 1.0, 2, D("200.00"), D("190.00"), 0, True),
        ("acme", "2025-12", 1, "2026-01", 2, 1, 0.5, 1, D("80.00"), D("80.00"), 0, True),
        ("acme", "2025-12", 2, "2026-02", 2, 1, 0.5, 1, D("300.00"), D("280.00"), 0, True),
        ("acme", "2026-01", 0, "2026-01", 1, 1, 1.0, 2, D("260.00"), D("240.00"), 0, True),
        ("acme", "2026-01", 1, "2026-02", 1, 0, 0.0, 0, D("0.00"), D("0.00"), 0, True),
        ("acme", "2026-02", 0, "2026-02", 1, 1, 1.0, 1, D("40.00"), D("40.00"), 1, True),
        # beta has no dealt line between 2025-01 and 2026-02: those months are not loaded history
        ("beta", "2025-01", 0, "2025-01", 1, 1, 1.0, 1, D("10.00"), D("10.00"), 0, True),
        ("beta", "2025-01", 13, "2026-02", 1, 1, 1.0, 1, D("10.00"), D("10.00"), 0, True),
    ]


# ------------------------------------------------------------------------------------------- regions
def test_region_sales_with_unmapped_province_and_dc(wh):
    got = q(
        wh,
        """select brand, month, store_type, region, units, gmv, net_sales, orders, buyers, is_estimate,
                          region_master_version
                   from marts.fct_region_sales_monthly order by brand, month, store_type, region""",
    )
    assert got == [
        ("acme", "2025-12", "pop", "华北", 2, D("100.00"), D("90.00"), 1, 1, False, "2026-01-10"),
        ("acme", "2025-12", "pop", "华南", 1, D("100.00"), D("100.00"), 1, 1, False, "2026-01-10"),
        ("acme", "2026-01", "pop", "华北", 1, D("80.00"), D("80.00"), 1, 1, False, "2026-01-10"),
        # 西藏 was mapped only by the older master: the newest one wins, so 未分配
        ("acme", "2026-01", "pop", "未分配", 2, D("260.00"), D("240.00"), 2, 1, False, "2026-01-10"),
        # self: V1 sold 15 units for 1,531.00 in January (102.0666… per unit); shipped 北京 10 + 5,
        # 广州 4, 成都 (unmapped) 6; V2 shipped 2 from 北京 but sold nothing that month (gmv 0).
        ("acme", "2026-01", "self", "华北", 17, D("1531.00"), D("1531.00"), None, None, True, "2026-01-10"),
        ("acme", "2026-01", "self", "华南", 4, D("408.27"), D("408.27"), None, None, True, "2026-01-10"),
        ("acme", "2026-01", "self", "未分配", 6, D("612.40"), D("612.40"), None, None, True, "2026-01-10"),
        # O8 is delivered as 广东 (short name) and the master maps 广东 too; O9 has no province
        ("acme", "2026-02", "pop", "华南", 3, D("300.00"), D("280.00"), 1, 1, False, "2026-01-10"),
        ("acme", "2026-02", "pop", "未分配", 1, D("40.00"), D("40.00"), 1, 1, False, "2026-01-10"),
        ("beta", "2025-01", "pop", "未分配", 1, D("10.00"), D("10.00"), 1, 1, False, "none"),
        ("beta", "2026-02", "pop", "未分配", 1, D("10.00"), D("10.00"), 1, 1, False, "none"),
    ]


def test_region_budget_vs_actual_with_revision(wh):
    got = q(
        wh,
        """select month, store_type, region, budget_gmv, plan_gmv, actual_gmv,
                          round(achievement_vs_plan, 6), round(achievement_vs_budget, 6), is_estimate
                   from marts.fct_region_budget_vs_actual_monthly where brand = 'acme'
                   order by month, store_type, region""",
    )
    assert got == [
        ("2025-12", "pop", "华北", None, None, D("100.00"), None, None, False),
        ("2025-12", "pop", "华南", None, None, D("100.00"), None, None, False),
        ("2026-01", "pop", "华北", D("1000.00"), D("1000.00"), D("80.00"), 0.08, 0.08, False),
        ("2026-01", "pop", "华南", D("500.00"), D("500.00"), D("0.00"), 0.0, 0.0, False),
        ("2026-01", "pop", "未分配", None, None, D("260.00"), None, None, False),
        ("2026-01", "self", "华北", D("1500.00"), D("1500.00"), D("1531.00"), 1.020667, 1.020667, True),
        ("2026-01", "self", "华南", None, None, D("408.27"), None, None, True),
        ("2026-01", "self", "未分配", None, None, D("612.40"), None, None, True),
        # the revision (published 2026-01-25, February only) is the plan; the budget stays the first version
        ("2026-02", "pop", "华北", None, D("100.00"), D("0.00"), 0.0, None, False),
        ("2026-02", "pop", "华南", D("400.00"), D("350.00"), D("300.00"), 0.857143, 0.75, False),
        ("2026-02", "pop", "未分配", None, None, D("40.00"), None, None, False),
    ]


def _test_results(data_dir: Path) -> dict[str, tuple[str, int]]:
    results = json.loads((data_dir / "dbt_target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[-1]: (r["status"], r.get("failures"))
        for r in results
        if r["unique_id"].startswith("test.")
    }


def test_warning_checks_count_unmapped_sales_and_budget_plan_gaps(built):
    results = _test_results(built)
    # acme: 2026-01 pop and self, 2026-02 pop; beta has no master: its two months
    assert results["assert_region_master_maps_every_sale"] == ("warn", 5)
    # February POP: regions 400.00 vs the sales plan 450.00 published the same day
    assert results["assert_region_budget_matches_sales_plan"] == ("warn", 1)
    # the error-severity reconciliations pass
    assert results["assert_region_sales_add_up_to_store_totals"] == ("pass", 0)
    assert results["assert_customer_marts_add_up"] == ("pass", 0)


def test_mart_columns_carry_chinese_labels(built):
    manifest = json.loads((built / "dbt_target" / "manifest.json").read_text())
    for mart in MARTS:
        node = manifest["nodes"][f"model.jd_ops_warehouse.{mart}"]
        assert node["config"]["contract"]["enforced"] is True
        labels = {
            name: c.get("config", {}).get("meta", {}).get("label_zh") or c.get("meta", {}).get("label_zh")
            for name, c in node["columns"].items()
        }
        assert all(labels.values()), (mart, labels)
    assert (
        manifest["nodes"]["model.jd_ops_warehouse.fct_customer_monthly"]["columns"]["repeat_rate"]["meta"][
            "label_zh"
        ]
        == "复购率"
    )


# ------------------------------------------------------------------------------------ nightly ≡ rebuild
def snapshot(data_dir: Path) -> dict[str, tuple[str, int]]:
    conn = connect(data_dir)
    out = {}
    for t in MARTS:
        data = sorted(map(repr, conn.execute(f"select * from marts.{t}").fetchall()))
        out[t] = (hashlib.sha256("\n".join(data).encode()).hexdigest(), len(data))
    conn.close()
    return out


def deliver(data_dir: Path, fn, *args) -> None:
    conn = connect(data_dir, read_only=False)
    fn(conn, *args)
    conn.close()


def test_nightly_runs_after_late_deliveries_equal_a_rebuild(tmp_path_factory):
    nightly = make_dir(
        tmp_path_factory.mktemp("jd_cr_nightly"),
        skip_pop_days=("2025-12-10",),
        new_master=False,
        revision=False,
    )
    run_dbt(nightly, "seed")
    run_dbt(nightly, "run", *SELECT, "--full-refresh")
    before = snapshot(nightly)

    def night(day: str) -> None:
        run_dbt(nightly, "run", *SELECT, vars={"min_date": day, "max_date": day})

    deliver(nightly, fx.deliver_new_master)  # re-maps every month, whatever the window
    night("2026-01-10")
    deliver(nightly, fx.deliver_revision)  # restates February (a yearly file)
    night("2026-01-25")
    deliver(nightly, fx.deliver_pop_day, "2025-12-10", fx.POP_DAYS["2025-12-10"])  # B1's first order, late:
    night("2025-12-10")  # B1 turns from new to returning in February
    deliver(nightly, fx.deliver_pop_day, *fx.LATE_DAY)  # new orders: B3 returns in February
    night(fx.LATE_DAY[0])

    rebuild = make_dir(tmp_path_factory.mktemp("jd_cr_rebuild"))
    deliver(rebuild, fx.deliver_pop_day, *fx.LATE_DAY)
    run_dbt(rebuild, "seed")
    run_dbt(rebuild, "run", *SELECT, "--full-refresh")
    after = snapshot(rebuild)
    assert snapshot(nightly) == after
    assert all(before[t] != after[t] for t in MARTS), "every mart must have changed over the nights"
    conn = connect(nightly)
    assert q(
        conn,
        """select segment, buyers from marts.fct_customer_monthly
                      where brand = 'acme' and month = '2026-02' order by segment""",
    ) == [("new", 1), ("returning", 2)]
    conn.close()
