"""End to end through Dagster with stand-in assets (the real ingest/KPI/report assets live elsewhere):
a broken fixture for each blocking check stops the downstream KPI/report/publish stand-ins and
closes the gate for later runs; each warn check lets the run succeed; both land in ops.dq_results."""

from collections.abc import Callable
from typing import Any

import dagster as dg
import pytest

from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND, daily_partitions
from jd_pipeline.defs.quality import GATE_KEY, build_gx_check, build_recon_check, dq_gate, require_gate_open
from jd_pipeline.defs.resources import WarehouseResource
from jd_pipeline.quality import check_costs, reconciliation_specs, record_asset_check_results
from jd_pipeline.quality.gx_runner import available_suites, load_suite_spec
from tests.quality.handmade import (
    DAY,
    Warehouse,
    ads_rows,
    load_good_day,
    opex_rows,
    plan_rows,
    pop_order_lines,
    sz_sku_rows,
    ts,
)

pytestmark = pytest.mark.integration  # runs Dagster jobs

MART = dg.AssetKey(["marts", "fct_sales_daily"])
DOWNSTREAM = [
    dg.AssetKey(["kpi", "headline_daily"]),
    dg.AssetKey(["reports", "daily_brief"]),
    dg.AssetKey(["publish", "serving_warehouse"]),
]
DAILY_SOURCES = ["jd_pop_orders", "jd_sz_sku", "jd_ads", "jd_vc_inventory", "jd_sz_traffic", "jd_vc_sales"]


def raw_standin(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source],
        partitions_def=PARTITIONS_BY_PERIOD_KIND[load_suite_spec(source).period_kind],
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def _raw() -> None:
        """Stand-in for the ingest asset: the test has already written raw.<source>."""

    return _raw


def mart_standin(dbt_results: list[dg.AssetCheckResult]) -> dg.AssetsDefinition:
    @dg.asset(
        key=MART, deps=[dg.AssetKey(["raw", s]) for s in DAILY_SOURCES], partitions_def=daily_partitions
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
        """Stand-in for the dbt step: records its tests like defs/transform.py does."""
        with warehouse.get_connection() as conn:
            record_asset_check_results(conn, dbt_results, context.run_id, context.partition_key)

    return _mart


def downstream_standin(key: dg.AssetKey) -> dg.AssetsDefinition:
    @dg.asset(key=key, deps=[GATE_KEY], partitions_def=daily_partitions)
    def _downstream(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
        require_gate_open(context, warehouse)
        with warehouse.get_connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS ops.test_downstream (asset VARCHAR, run_id VARCHAR)")
            conn.execute(
                "INSERT INTO ops.test_downstream VALUES (?, ?)", [key.to_user_string(), context.run_id]
            )

    return _downstream


def checks_for(sources: list[str]) -> list[dg.AssetChecksDefinition]:
    recon = [s for s in reconciliation_specs(available_suites()) if s.source in sources]
    return [build_gx_check(s) for s in sources] + [build_recon_check(s) for s in recon]


def run(
    wh: Warehouse,
    sources: list[str],
    partition: str = DAY,
    *,
    with_pipeline: bool = True,
    only: list[dg.AssetKey] | None = None,
    dbt_results: list[dg.AssetCheckResult] | None = None,
) -> dg.ExecuteInProcessResult:
    wh.conn.close()  # the run opens the warehouse itself
    try:
        assets: list[Any] = [raw_standin(s) for s in sources] + (checks_for(sources) if with_pipeline else [])
        if PARTITIONS_BY_PERIOD_KIND[load_suite_spec(sources[0]).period_kind] is daily_partitions:
            assets += [mart_standin(dbt_results or []), dq_gate, *map(downstream_standin, DOWNSTREAM)]
        selection = only and [*only]
        return dg.materialize(
            assets,
            partition_key=partition,
            raise_on_error=False,
            selection=selection,
            resources={"warehouse": WarehouseResource(database=str(wh.path))},
        )
    finally:
        import duckdb

        wh.conn = duckdb.connect(str(wh.path))


def materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {e.asset_key for e in result.get_asset_materialization_events()}


def dq_rows(wh: Warehouse, check_name: str) -> list[tuple]:
    return wh.conn.execute(
        'SELECT passed, severity, observed_value, run_id, "partition" FROM ops.dq_results '
        "WHERE check_name = ? ORDER BY checked_at",
        [check_name],
    ).fetchall()


def assert_blocked_now_and_later(
    wh: Warehouse, result: dg.ExecuteInProcessResult, check: str, gate_day: str = DAY
) -> None:
    assert not result.success
    assert not (materialized(result) & {GATE_KEY, *DOWNSTREAM})
    rows = dq_rows(wh, check)
    assert rows and rows[-1][0] is False and rows[-1][1] == "error" and rows[-1][3] == result.run_id
    # a later run of the gate and downstream only: the gate fails from the history
    later = run(wh, DAILY_SOURCES, partition=gate_day, only=[GATE_KEY, *DOWNSTREAM])
    assert not later.success and not (materialized(later) & {GATE_KEY, *DOWNSTREAM})
    gate_failure = next(e for e in later.all_events if e.event_type_value == "STEP_FAILURE")
    assert check in gate_failure.step_failure_data.error.message
    # and a run of the downstream assets alone cannot bypass it
    bypass = run(wh, DAILY_SOURCES, partition=gate_day, only=DOWNSTREAM)
    assert not bypass.success and not materialized(bypass)
    assert (
        wh.conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'test_downstream'"
        ).fetchone()[0]
        == 0
    )


def _break_product_line(wh: Warehouse) -> None:
    wh.replace("jd_ads", ads_rows(product_line="京东新广告"))


def _break_order_date(wh: Warehouse) -> None:
    lines = pop_order_lines()
    lines[0]["order_ts"] = ts("2026-02-27")
    wh.replace("jd_pop_orders", lines, store="pop")


def _break_national(wh: Warehouse) -> None:
    wh.conn.execute("UPDATE ops.file_totals SET total_value = 11 WHERE source = 'jd_vc_inventory'")


def _break_traffic(wh: Warehouse) -> None:
    wh.conn.execute("UPDATE ops.file_totals SET total_value = 29 WHERE source = 'jd_sz_traffic'")


def _break_total_row(wh: Warehouse) -> None:
    wh.conn.execute("UPDATE ops.file_totals SET total_value = 301 WHERE source = 'jd_vc_sales'")


def _near_empty_ads_day(wh: Warehouse) -> None:
    """The day's 1 ads row against a usual 20 (four earlier deliveries of acme): a lost day."""
    for i in range(1, 5):
        wh.conn.execute(
            "INSERT INTO ops.load_manifest (load_id, source, brand, status, rows_loaded, delivered_at) "
            "VALUES (?, 'jd_ads', 'acme', 'replaced', 20, now() - INTERVAL (?) DAY)",
            [f"old{i}", i],
        )


DAILY_BLOCKING: dict[str, tuple[str, Callable[[Warehouse], None]]] = {
    "near-empty day (volume)": ("gx_jd_ads", _near_empty_ads_day),
    "unknown product_line": ("gx_jd_ads", _break_product_line),
    "order date outside the file's day": ("gx_jd_pop_orders", _break_order_date),
    "全国 != sum of RDCs": ("inventory_national_equals_rdc_sum", _break_national),
    "traffic subtotal": ("traffic_subtotals_match", _break_traffic),
    "total row": ("total_rows_match_details", _break_total_row),
}


def test_good_day_runs_through(wh) -> None:
    load_good_day(wh)
    result = run(wh, DAILY_SOURCES)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert {GATE_KEY, *DOWNSTREAM} <= materialized(result)
    assert {r[0] for r in wh.conn.execute("SELECT passed FROM ops.dq_results").fetchall()} == {True}
    n = wh.conn.execute("SELECT count(*) FROM ops.dq_results WHERE run_id = ?", [result.run_id]).fetchone()[0]
    assert n == len(checks_for(DAILY_SOURCES)) + 1  # every check + the gate
    costs = {c.layer: c for c in check_costs(wh.conn, [result.run_id])}
    assert costs["gx"].checks == len(DAILY_SOURCES) and costs["gx"].seconds > 0 and costs["gx"].rows == 11
    assert costs["reconciliation"].checks == len(checks_for(DAILY_SOURCES)) - len(DAILY_SOURCES)


@pytest.mark.parametrize("case", list(DAILY_BLOCKING))
def test_blocking_check_stops_downstream_and_closes_gate(wh, case: str) -> None:
    check, breaker = DAILY_BLOCKING[case]
    load_good_day(wh)
    breaker(wh)
    result = run(wh, DAILY_SOURCES)
    assert_blocked_now_and_later(wh, result, check)


def test_failing_dbt_error_test_closes_gate(wh) -> None:
    load_good_day(wh)
    failing = dg.AssetCheckResult(
        asset_key=MART,
        check_name="unique_fct_sales_daily_grain",
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
    )
    result = run(wh, DAILY_SOURCES, dbt_results=[failing])
    assert_blocked_now_and_later(wh, result, "unique_fct_sales_daily_grain")


@pytest.mark.parametrize(
    "source,period,gate_day,check,breaker",
    [
        (
            "fin_opex_actuals",
            "2026-03-01",
            DAY,
            "gx_fin_opex_actuals",
            lambda wh: wh.load("fin_opex_actuals", opex_rows("2026-03", currency="USD"), period="2026-03"),
        ),
        # yearly partitions exist once the year is complete: use 2025
        (
            "fin_sales_plan",
            "2025",
            "2025-06-01",
            "plan_months_sum_to_year",
            lambda wh: wh.load("fin_sales_plan", plan_rows("2025", months=11), period="2025"),
        ),
    ],
)
def test_monthly_and_yearly_failures_close_daily_gate(wh, source, period, gate_day, check, breaker) -> None:
    load_good_day(wh)
    breaker(wh)
    result = run(wh, [source], partition=period)
    assert not result.success
    assert_blocked_now_and_later(wh, result, check, gate_day)


def test_closed_opex_month_change_closes_gate(wh) -> None:
    load_good_day(wh)
    wh.load("fin_opex_actuals", opex_rows("2026-02"), period="2026-02")
    wh.load("fin_opex_actuals", opex_rows("2026-03"), period="2026-03")
    assert run(wh, ["fin_opex_actuals"], partition="2026-02-01").success  # baseline of the closed month
    wh.replace("fin_opex_actuals", opex_rows("2026-02", debit=999), period="2026-02")
    result = run(wh, ["fin_opex_actuals"], partition="2026-02-01")
    later = run(wh, DAILY_SOURCES, partition="2026-02-10", only=[GATE_KEY, *DOWNSTREAM])
    assert not result.success and not later.success and not materialized(later)
    assert dq_rows(wh, "opex_closed_months_unchanged")[-1][:2] == (False, "error")


POP_ONLY_MART = dg.AssetKey(["marts", "fct_pop_sales_by_province_daily"])


def test_a_failed_volume_check_holds_only_what_depends_on_its_source(wh) -> None:
    """gx_jd_ads fails (blocking): the assets reading raw/jd_ads stay as they were, a mart reading
    only POP orders is rebuilt; the gate closes, so nothing is published (BI keeps its copy)."""
    load_good_day(wh)
    _near_empty_ads_day(wh)

    @dg.asset(
        key=POP_ONLY_MART, deps=[dg.AssetKey(["raw", "jd_pop_orders"])], partitions_def=daily_partitions
    )
    def _pop_mart() -> None:
        """Stand-in for a dbt mart built from POP orders only."""

    wh.conn.close()
    try:
        result = dg.materialize(
            [
                *(raw_standin(s) for s in DAILY_SOURCES),
                *checks_for(DAILY_SOURCES),
                mart_standin([]),
                _pop_mart,
                dq_gate,
                *map(downstream_standin, DOWNSTREAM),
            ],
            partition_key=DAY,
            raise_on_error=False,
            resources={"warehouse": WarehouseResource(database=str(wh.path))},
        )
    finally:
        import duckdb

        wh.conn = duckdb.connect(str(wh.path))
    done = materialized(result)
    assert POP_ONLY_MART in done
    assert not (done & {MART, GATE_KEY, *DOWNSTREAM})
    (ads,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "gx_jd_ads"]
    assert not ads.passed and ads.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_table_row_count_to_be_between(table) observed 1" in ads.description


def test_next_good_delivery_recovers(wh) -> None:
    load_good_day(wh)
    _break_product_line(wh)
    assert not run(wh, DAILY_SOURCES).success
    wh.replace("jd_ads", ads_rows())
    result = run(wh, DAILY_SOURCES)
    assert result.success and {GATE_KEY, *DOWNSTREAM} <= materialized(result)
    assert [r[0] for r in dq_rows(wh, "gx_jd_ads")] == [False, True]


@pytest.mark.parametrize(
    "check,breaker",
    [
        ("sz_pop_deal_vs_orders_gmv", lambda wh: wh.replace("jd_sz_sku", sz_sku_rows(500), store="pop")),
        ("ads_attributed_vs_sz_deal", lambda wh: wh.replace("jd_ads", ads_rows(amount=700))),
        (
            "gx_jd_pop_orders",
            lambda wh: wh.replace(
                "jd_pop_orders", [{**r, "payment_method": "白条"} for r in pop_order_lines()], store="pop"
            ),
        ),
    ],
)
def test_warn_check_lets_the_run_succeed(wh, check: str, breaker) -> None:
    load_good_day(wh)
    breaker(wh)
    result = run(wh, DAILY_SOURCES)
    assert result.success
    assert {GATE_KEY, *DOWNSTREAM} <= materialized(result)
    evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == check]
    assert evaluations and not evaluations[0].passed
    assert evaluations[0].severity == dg.AssetCheckSeverity.WARN
    if check == "sz_pop_deal_vs_orders_gmv":  # the gap travels in the check's metadata
        assert abs(evaluations[0].metadata["max_gap_pct"].value - 2 / 3) < 1e-9
    assert dq_rows(wh, check)[-1][:2] == (False, "warn")


def test_a_crashing_check_is_recorded_as_a_blocking_failure(wh) -> None:
    load_good_day(wh)
    wh.conn.execute(
        "DROP TABLE ops.file_totals; CREATE TABLE ops.file_totals (load_id VARCHAR)"
    )  # wrong shape
    result = run(wh, DAILY_SOURCES)
    assert not result.success and not (materialized(result) & {GATE_KEY, *DOWNSTREAM})
    row = dq_rows(wh, "inventory_national_equals_rdc_sum")[-1]
    assert row[:2] == (False, "error") and row[2].startswith("check could not run")
