"""The nightly schedules and the sensors evaluate to the expected run requests."""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from jd_pipeline.defs import jobs, schedules, sensors
from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND, RANGE_END_TAG, RANGE_START_TAG
from jd_pipeline.runtime import automation as auto

SH = ZoneInfo("Asia/Shanghai")
RANGE = (RANGE_START_TAG, RANGE_END_TAG)


def at(day: str, hour: int = 2) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SH)


def fake_ingest_assets() -> list[dg.AssetsDefinition]:
    """Stand-ins for `raw/<source>` with the real partitions (the ingest module may be mid-change)."""
    out = []
    for kind, sources in auto.sources_by_period_kind().items():
        for source in sources:

            @dg.asset(
                key=["raw", source],
                partitions_def=PARTITIONS_BY_PERIOD_KIND[kind],
                group_name="ingest",
                backfill_policy=dg.BackfillPolicy.single_run(),
            )
            def _ingest() -> None:
                return None

            out.append(_ingest)
    return out


@dg.asset(
    key=["marts", "fct_sales_daily"],
    partitions_def=PARTITIONS_BY_PERIOD_KIND["daily"],
    group_name="marts",
    deps=[dg.AssetKey(["raw", "jd_pop_orders"])],
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def _fake_mart() -> None:
    return None


@dg.asset(key=["publish", "serving_warehouse"], deps=[_fake_mart], group_name="publish")
def _fake_publish() -> None:
    return None


@dg.asset(
    key=["reports", "monthly_fake"],
    partitions_def=PARTITIONS_BY_PERIOD_KIND["monthly"],
    group_name="reports",
    deps=[_fake_mart],
)
def _fake_monthly_report() -> None:
    return None


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    # Not the weekly whole-table-tests schedule: its job selects the real dbt models (checked
    # against the real definitions in test_weekly_whole_table_tests_run_is_valid_for_the_real_job).
    built = dg.Definitions.merge(
        dg.Definitions(
            assets=[*fake_ingest_assets(), _fake_mart, _fake_publish, _fake_monthly_report],
            jobs=[*jobs.ingest_jobs.values(), jobs.warehouse_daily_job, jobs.warehouse_monthly_job],
            schedules=[schedules.nightly, schedules.nightly_monthly],
        ),
        sensors.defs,
    )
    dg.Definitions.validate_loadable(built)
    return built


def summary(request: dg.RunRequest) -> tuple:
    keys = tuple(k.to_user_string() for k in request.asset_selection or ())
    rng = tuple(request.tags.get(t) for t in RANGE)
    return request.job_name, keys, request.partition_key, rng if rng[0] else None


# ------------------------------------------------------------------------------------ jobs


def test_jobs_select_assets_by_group_and_partitions(defs: dg.Definitions) -> None:
    def selected(job: str) -> set[str]:
        return {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.selected_asset_keys}

    daily = selected("ingest_daily_job")
    assert "raw/jd_pop_orders" in daily and "raw/jd_ads" in daily and "raw/fin_opex_actuals" not in daily
    assert selected("ingest_monthly_job") == {"raw/jd_sz_industry", "raw/fin_opex_actuals"}
    assert selected("ingest_quarterly_job") == {"raw/tp_team_kpi"}
    assert selected("warehouse_daily_job") == {"marts/fct_sales_daily", "publish/serving_warehouse"}
    assert selected("warehouse_monthly_job") == {"reports/monthly_fake"}


# ------------------------------------------------------------------------------------ schedules


def test_nightly_schedule_definition() -> None:
    assert schedules.nightly.cron_schedule == "0 2 * * *"
    assert schedules.nightly.execution_timezone == "Asia/Shanghai"
    assert schedules.nightly.job_name == "ingest_daily_job"
    assert schedules.nightly_monthly.job_name == "ingest_monthly_job"


def test_nightly_requests_yesterday_and_the_ads_window(data_dir: Path) -> None:
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=at("2026-11-27"))
        requests = list(schedules.nightly(context))
    assert [summary(r) for r in requests] == [
        (None, (), "2026-11-26", None),  # every daily ingest asset of the job, yesterday
        (None, ("raw/jd_ads",), None, ("2026-11-12", "2026-11-25")),  # + 14 days before: 15-day window
    ]
    assert requests[0].run_key == "nightly-daily-2026-11-26"
    assert requests[1].tags["jd/trigger"] == "nightly"


def test_nightly_window_is_clamped_to_the_partitions_start(data_dir: Path) -> None:
    assert [summary(r) for r in schedules.nightly_run_requests(at("2025-01-05"))] == [
        (None, (), "2025-01-04", None),
        (None, ("raw/jd_ads",), None, ("2025-01-01", "2025-01-03")),
    ]
    assert [summary(r) for r in schedules.nightly_run_requests(at("2025-01-02"))] == [
        (None, (), "2025-01-01", None)
    ]
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=at("2025-01-01"))
        assert isinstance(schedules.nightly(context), dg.SkipReason)


def test_nightly_monthly_requests_closed_month_and_month_in_progress(data_dir: Path) -> None:
    plan = auto.nightly_plan(at("2026-11-27"), "2025-01-01")
    assert plan.months == [date(2026, 10, 1), date(2026, 11, 1)]
    # one range run: the month that just closed and the month in progress
    assert [summary(r) for r in schedules.nightly_monthly_run_requests(at("2026-11-27"))] == [
        (None, (), None, ("2026-10-01", "2026-11-01"))
    ]
    assert [summary(r) for r in schedules.nightly_monthly_run_requests(at("2026-12-01"))] == [
        (None, (), None, ("2026-11-01", "2026-12-01"))
    ]
    assert schedules.nightly_monthly_run_requests(at("2026-12-01"))[0].run_key == "nightly-monthly-2026-11-30"


def test_nightly_fires_in_shanghai_time(data_dir: Path) -> None:
    # 2026-11-26 18:00 UTC is 02:00 on the 27th in Shanghai: yesterday is the 26th
    utc_tick = datetime(2026, 11, 26, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert schedules.nightly_run_requests(utc_tick)[0].partition_key == "2026-11-26"


# ------------------------------------------------------------------------------------ landing zone


def deliver(data_dir: Path, rel: str, content: str = "x", mtime: float | None = None) -> Path:
    path = data_dir / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


NOW = at("2026-11-27", hour=10)


def test_landing_zone_states(data_dir: Path) -> None:
    requests, cursor = sensors.evaluate_landing_zone(None, NOW)
    assert requests == []

    deliver(data_dir, "jd_pop_orders/acme/2026-11-25/orders.csv")
    deliver(data_dir, "jd_pop_orders/acme/2026-11-26/orders.csv")
    deliver(data_dir, "jd_pop_orders/beta/2026-11-20/orders.csv")
    deliver(data_dir, "jd_sz_sku/acme/pop/2026-11-26/sku.xlsx")
    deliver(data_dir, "fin_opex_actuals/acme/2026-10/gl.csv")
    deliver(data_dir, "tp_team_kpi/acme/2026Q3/kpi.xlsx")
    deliver(data_dir, "nonsense/acme/2026-11-26/x.csv")  # fits no source: never requested
    deliver(data_dir, "jd_pop_orders/acme/2026-11-27/orders.csv")  # today: not a partition yet
    deliver(data_dir, "jd_pop_orders/acme/2024-12-31/orders.csv")  # before JD_PARTITIONS_START

    requests, cursor = sensors.evaluate_landing_zone(cursor, NOW)
    assert sorted(summary(r) for r in requests) == sorted(
        [
            (
                "ingest_daily_job",
                ("raw/jd_pop_orders",),
                None,
                ("2026-11-20", "2026-11-26"),
            ),  # one run per source
            ("ingest_daily_job", ("raw/jd_sz_sku",), "2026-11-26", None),
            ("ingest_monthly_job", ("raw/fin_opex_actuals",), "2026-10-01", None),
            ("ingest_quarterly_job", ("raw/tp_team_kpi",), "2026-07", None),
        ]
    )
    assert all(r.tags["jd/trigger"] == "landing" and r.run_key for r in requests)

    # nothing new: nothing requested
    again, cursor_again = sensors.evaluate_landing_zone(cursor, NOW)
    assert again == [] and cursor_again == cursor

    # a corrected delivery replaces one file: only that partition
    deliver(data_dir, "jd_pop_orders/beta/2026-11-20/orders.csv", content="corrected", mtime=time.time() + 5)
    changed, cursor = sensors.evaluate_landing_zone(cursor, NOW)
    assert [summary(r) for r in changed] == [("ingest_daily_job", ("raw/jd_pop_orders",), "2026-11-20", None)]

    # a newer 京准通 pull of an older day
    deliver(data_dir, "jd_ads/acme/2026-11-20/report_pulled20261127.csv")
    changed, cursor = sensors.evaluate_landing_zone(cursor, NOW)
    assert [summary(r) for r in changed] == [("ingest_daily_job", ("raw/jd_ads",), "2026-11-20", None)]
    # the same change never requests twice (run keys differ per change)
    assert sensors.evaluate_landing_zone(cursor, NOW)[0] == []


def test_landing_run_keys_are_stable_for_the_same_change(data_dir: Path) -> None:
    deliver(data_dir, "jd_pop_orders/acme/2026-11-25/orders.csv")
    first, _ = sensors.evaluate_landing_zone(None, NOW)
    second, _ = sensors.evaluate_landing_zone(None, NOW)
    assert [r.run_key for r in first] == [r.run_key for r in second]


def test_landing_sensor_through_dagster(data_dir: Path, defs: dg.Definitions) -> None:
    deliver(data_dir, "jd_pop_orders/acme/2026-11-25/orders.csv")
    deliver(data_dir, "fin_opex_actuals/acme/2026-10/gl.csv")
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        result = sensor.evaluate_tick(context)
        assert sorted(summary(r) for r in result.run_requests) == [
            ("ingest_daily_job", ("raw/jd_pop_orders",), "2026-11-25", None),
            ("ingest_monthly_job", ("raw/fin_opex_actuals",), "2026-10-01", None),
        ]
        context2 = dg.build_sensor_context(instance=instance, definitions=defs, cursor=result.cursor)
        assert sensor.evaluate_tick(context2).run_requests == []


# ------------------------------------------------------------------------------------ downstream


@pytest.mark.integration
def test_warehouse_refresh_after_ingest(data_dir: Path, defs: dg.Definitions) -> None:
    ingest_daily = defs.resolve_job_def("ingest_daily_job")
    with dg.instance_for_test() as instance:
        result, cursor = sensors.evaluate_warehouse_refresh(instance, None, NOW)
        assert isinstance(result, dg.SkipReason) and cursor is None

        # the nightly runs: yesterday + the ads window
        ingest_daily.execute_in_process(instance=instance, partition_key="2026-11-26")
        ingest_daily.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey(["raw", "jd_ads"])],
            tags={RANGE_START_TAG: "2026-11-12", RANGE_END_TAG: "2026-11-25"},
        )
        # an ingest run still in progress: wait
        instance.add_run(
            dg.DagsterRun(
                job_name="ingest_monthly_job", run_id="r-in-progress", status=dg.DagsterRunStatus.STARTED
            )
        )
        waiting, same = sensors.evaluate_warehouse_refresh(instance, None, NOW)
        assert isinstance(waiting, dg.SkipReason) and "waiting" in waiting.skip_message and same is None
        instance.report_run_canceled(instance.get_run_by_id("r-in-progress"))

        requests, cursor = sensors.evaluate_warehouse_refresh(instance, None, NOW)
        assert [summary(r) for r in requests] == [
            ("warehouse_daily_job", (), None, ("2026-11-12", "2026-11-26")),
            ("warehouse_monthly_job", (), "2026-11-01", None),  # then the monthly reports
        ]
        assert requests[0].run_key == f"refresh-{cursor}"
        # handled: nothing more until the next ingest
        again, cursor_again = sensors.evaluate_warehouse_refresh(instance, cursor, NOW)
        assert isinstance(again, dg.SkipReason) and cursor_again == cursor

        # a late monthly delivery: rebuild that month
        defs.resolve_job_def("ingest_monthly_job").execute_in_process(
            instance=instance, partition_key="2026-09-01"
        )
        requests, cursor = sensors.evaluate_warehouse_refresh(instance, cursor, NOW)
        assert [summary(r) for r in requests] == [
            ("warehouse_daily_job", (), None, ("2026-09-01", "2026-09-30")),
            ("warehouse_monthly_job", (), "2026-09-01", None),
        ]


@pytest.mark.integration
def test_refresh_ignores_cli_runs(data_dir: Path) -> None:
    assets = fake_ingest_assets()
    cli_job = dg.define_asset_job(
        "cli_ingest_daily",
        selection=dg.AssetSelection.assets(dg.AssetKey(["raw", "jd_pop_orders"])),
        partitions_def=PARTITIONS_BY_PERIOD_KIND["daily"],
    )
    cli_defs = dg.Definitions(assets=assets, jobs=[cli_job])
    with dg.instance_for_test() as instance:
        cli_defs.resolve_job_def("cli_ingest_daily").execute_in_process(
            instance=instance, partition_key="2026-11-26"
        )
        result, cursor = sensors.evaluate_warehouse_refresh(instance, None, NOW)
        assert isinstance(result, dg.SkipReason) and cursor is not None  # seen, not re-run


def test_freshness_checks_are_defined(defs: dg.Definitions) -> None:
    from jd_pipeline.defs.freshness import build_freshness_checks

    checks = build_freshness_checks([dg.AssetKey(["marts", "fct_sales_daily"])])
    keys = {spec.asset_key.to_user_string() for c in checks for spec in c.check_specs}
    assert keys == {"marts/fct_sales_daily", "publish/serving_warehouse"}
    assert defs.resolve_sensor_def("freshness_checks_sensor") is not None


def test_cold_start_skips_files_the_manifest_has_loaded(data_dir: Path) -> None:
    import duckdb

    from jd_pipeline.config import get_settings
    from jd_pipeline.ingest.landing import scan_landing
    from jd_pipeline.ingest.manifest import ensure_ops_tables

    deliver(data_dir, "jd_pop_orders/acme/2026-11-25/orders.csv")
    deliver(data_dir, "jd_pop_orders/acme/2026-11-26/orders.csv")
    loaded = [f for f in scan_landing(data_dir / "landing") if f.period == "2026-11-25"]
    with duckdb.connect(str(get_settings().warehouse_db)) as con:
        ensure_ops_tables(con)
        con.executemany(
            "INSERT INTO ops.load_manifest (path, fingerprint) VALUES (?, ?)",
            [(f.relpath, f.fingerprint) for f in loaded],
        )
    requests, _ = sensors.evaluate_landing_zone(None, NOW)
    assert [summary(r) for r in requests] == [
        ("ingest_daily_job", ("raw/jd_pop_orders",), "2026-11-26", None)
    ]


def test_weekly_whole_table_tests_run_is_valid_for_the_real_job(data_dir: Path) -> None:
    from jd_pipeline.definitions import defs as real

    assert schedules.weekly_whole_table_tests.cron_schedule == "0 6 * * 0"
    request = schedules.weekly_whole_table_tests_request(at("2026-03-08", hour=6))  # a Sunday
    assert request.partition_key == "2026-03-07" and request.run_key == "weekly-whole-table-tests-2026-03-07"
    job = real.resolve_job_def(jobs.WHOLE_TABLE_TESTS_JOB_NAME)
    assert set(schedules.DBT_STEP_NAMES) <= {node.name for node in job.graph.nodes}
    # The job's dbt selection (`fqn:*`) is every dbt node: seeds, staging, intermediate, marts and kpi.
    graph = real.resolve_asset_graph()
    dbt_keys = {key for key in graph.materializable_asset_keys if "dbt" in graph.get(key).kinds}
    assert dg.AssetKey(["kpi", "headline_daily"]) in dbt_keys and len(dbt_keys) > 50
    assert set(job.asset_layer.selected_asset_keys) == dbt_keys
    dg.validate_run_config(job, request.run_config)  # raises on a wrong op name or field
    assert all(cfg["config"]["whole_table_tests"] for cfg in request.run_config["ops"].values())
    assert isinstance(schedules.weekly_whole_table_tests_request(at("2024-01-07", hour=6)), dg.SkipReason)
