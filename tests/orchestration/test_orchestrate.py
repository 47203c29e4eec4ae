"""Stage planning and partition ranges of `jd-pipeline run`, on small stand-in definitions."""

from datetime import date

import dagster as dg
import pytest

from jd_pipeline.defs.partitions import daily_partitions, monthly_partitions, quarterly_partitions
from jd_pipeline.orchestrate import partition_range, plan_stages, run_pipeline

CALLS: list[tuple[str, str, str]] = []


def _record(context: dg.AssetExecutionContext, name: str) -> None:
    keys = context.partition_keys if context.has_partition_key_range or context.has_partition_key else [""]
    CALLS.append((name, keys[0], keys[-1]))


@dg.asset(
    key=["raw", "daily_src"],
    group_name="ingest",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def daily_src(context: dg.AssetExecutionContext) -> None:
    _record(context, "daily_src")


@dg.asset(
    key=["raw", "monthly_src"],
    group_name="ingest",
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def monthly_src(context: dg.AssetExecutionContext) -> None:
    _record(context, "monthly_src")


@dg.asset(
    key=["marts", "fct"],
    group_name="marts",
    partitions_def=daily_partitions,
    deps=[daily_src, monthly_src],
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def fct(context: dg.AssetExecutionContext) -> None:
    _record(context, "fct")


@dg.asset_check(asset=fct, blocking=True)
def fct_is_sane(context) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=not FAIL_CHECK, metadata={"observed_value": 42})


@dg.asset(key=["reports", "review"], group_name="reports", deps=[fct])
def review(context: dg.AssetExecutionContext) -> None:
    _record(context, "review")


@dg.asset(key=["publish", "serving_warehouse"], group_name="publish", deps=[review])
def publish(context: dg.AssetExecutionContext) -> None:
    _record(context, "publish")


FAIL_CHECK = False
DEFS = dg.Definitions(assets=[daily_src, monthly_src, fct, review, publish], asset_checks=[fct_is_sane])


def test_stages_follow_dependencies_ingest_first() -> None:
    names = [stage.name for stage in plan_stages(DEFS)]
    assert names[:2] == ["ingest_daily", "ingest_monthly"]
    assert names.index("build_daily") < names.index("build_unpartitioned")
    assert "publish" not in str([s.keys for s in plan_stages(DEFS, include_publish=False)])


def test_partition_ranges_cover_the_window() -> None:
    assert partition_range(daily_partitions, date(2025, 3, 30), date(2025, 4, 2)) == (
        "2025-03-30",
        "2025-04-02",
    )
    assert partition_range(monthly_partitions, date(2025, 3, 30), date(2025, 4, 2)) == (
        "2025-03-01",
        "2025-04-01",
    )
    assert partition_range(quarterly_partitions, date(2025, 3, 30), date(2025, 4, 2)) == (
        "2025-01",
        "2025-04",
    )
    assert partition_range(None, date(2025, 3, 30), date(2025, 4, 2)) is None


@pytest.mark.integration
def test_run_is_one_run_per_stage_over_the_range(data_dir) -> None:
    global FAIL_CHECK
    FAIL_CHECK = False
    CALLS.clear()
    report = run_pipeline(date(2025, 3, 30), date(2025, 4, 2), progress=lambda _: None, defs=DEFS)
    assert report.success, report.render()
    assert ("daily_src", "2025-03-30", "2025-04-02") in CALLS
    assert ("monthly_src", "2025-03-01", "2025-04-01") in CALLS
    assert ("fct", "2025-03-30", "2025-04-02") in CALLS
    assert [c[0] for c in CALLS].count("fct") == 1
    assert CALLS[-1][0] == "publish"


@pytest.mark.integration
def test_failed_blocking_check_stops_downstream_and_is_reported(data_dir) -> None:
    global FAIL_CHECK
    FAIL_CHECK = True
    CALLS.clear()
    try:
        report = run_pipeline(date(2025, 3, 30), date(2025, 3, 30), progress=lambda _: None, defs=DEFS)
    finally:
        FAIL_CHECK = False
    assert not report.success
    assert "review" not in [c[0] for c in CALLS] and "publish" not in [c[0] for c in CALLS]
    rendered = report.render()
    assert "failed check: fct_is_sane on marts/fct" in rendered and "observed: 42" in rendered


def test_landing_bounds_cover_every_delivered_period(tmp_path) -> None:
    from jd_pipeline.orchestrate import landing_date_bounds

    for relpath in (
        "jd_pop_orders/acme/2025-03-10/orders.csv",
        "fin_opex_actuals/acme/2025-02/gl.csv",
        "tp_team_kpi/acme/2025Q2/kpi.xlsx",
    ):
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_bytes(b"x")
    assert landing_date_bounds(tmp_path) == (date(2025, 2, 1), date(2025, 6, 30))
    assert landing_date_bounds(tmp_path / "jd_pop_orders" / "none") is None
