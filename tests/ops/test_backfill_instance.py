"""The long-backfill instance drops per-partition asset events from storage and keeps the rest."""

import dagster as dg

from jd_pipeline.ops.backfill_instance import backfill_instance

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-02-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily_fact(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset_check(asset=daily_fact, blocking=True)
def daily_fact_is_sane() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"observed_value": 7})


@dg.asset(partitions_def=DAYS, deps=[daily_fact], backfill_policy=dg.BackfillPolicy.single_run())
def downstream(context: dg.AssetExecutionContext) -> None:
    raise AssertionError("must not run after a failed blocking check")


def test_range_run_keeps_lifecycle_and_checks_but_not_partition_events():
    instance = backfill_instance()
    job = dg.Definitions(assets=[daily_fact, downstream], asset_checks=[daily_fact_is_sane]) \
        .resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, raise_on_error=False,
        tags={"dagster/asset_partition_range_start": "2025-01-01", "dagster/asset_partition_range_end": "2025-01-31"},
    )
    # 31 partitions of two assets planned, 31 of one materialized: none of them stored ...
    assert instance.event_log_storage.unstored_events == 31 * 2 + 31 + 1  # + the check planned
    stored = {entry.dagster_event.event_type_value for entry in instance.all_logs(result.run_id) if entry.dagster_event}
    assert not stored & {"ASSET_MATERIALIZATION", "ASSET_MATERIALIZATION_PLANNED", "ASSET_CHECK_EVALUATION_PLANNED"}
    # ... while the run still gates, and its steps and check results are recorded.
    assert not result.success
    assert {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "ASSET_CHECK_EVALUATION"} <= stored
    assert [e.asset_check_evaluation_data.passed for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"] == [False]
    assert len(result.get_asset_materialization_events()) == 31  # the events themselves still flow
