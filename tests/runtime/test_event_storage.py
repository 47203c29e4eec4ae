"""The batched event log shows a range run in the UI exactly as Dagster's own storage would:
partitions materialized, failed or in progress, and each planned check's result per partition."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from jd_pipeline.runtime.event_storage import EVENT_BATCH_SIZE
from jd_pipeline.runtime.instance import write_instance_config

pytestmark = pytest.mark.integration  # runs Dagster jobs

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01")
RANGE = [f"2025-01-{day:02d}" for day in range(3, 9)]  # six days
KEY = dg.AssetKey(["marts", "daily"])


def _defs(fail: bool) -> dg.Definitions:
    @dg.asset(
        key=KEY,
        partitions_def=DAYS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=[dg.AssetCheckSpec("positive", asset=KEY)],
    )
    def daily(context):
        if fail:
            raise RuntimeError("the source is broken")
        return dg.MaterializeResult(
            check_results=[
                dg.AssetCheckResult(passed=True, check_name="positive", metadata={"observed_value": 7})
            ]
        )

    return dg.Definitions(assets=[daily], jobs=[dg.define_asset_job("daily_job", selection=[KEY])])


def _run_range(instance: dg.DagsterInstance, fail: bool) -> dg.ExecuteInProcessResult:
    job = _defs(fail).resolve_job_def("daily_job")
    tags = {ASSET_PARTITION_RANGE_START_TAG: RANGE[0], ASSET_PARTITION_RANGE_END_TAG: RANGE[-1]}
    return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def _status(instance: dg.DagsterInstance) -> tuple[set[str], set[str]]:
    value = get_and_update_asset_status_cache_value(instance, KEY, DAYS)
    return (
        set(value.deserialize_materialized_partition_subsets(DAYS).get_partition_keys()),
        set(value.deserialize_failed_partition_subsets(DAYS).get_partition_keys()),
    )


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "one-by-one"])
def test_range_runs_show_failed_then_materialized_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batched: bool
) -> None:
    if batched:
        monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    else:
        monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        failed_run = _run_range(instance, fail=True)
        assert not failed_run.success
        planned = instance.get_records_for_run(
            failed_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        )
        assert len(planned.records) == 1  # one event names the range
        assert _status(instance) == (set(), set(RANGE))

        good_run = _run_range(instance, fail=False)
        assert good_run.success
        assert _status(instance) == (set(RANGE), set())
        assert (
            instance.event_log_storage.get_latest_asset_partition_materialization_attempts_without_materializations(
                KEY
            )
            == {}
        )

        check = dg.AssetCheckKey(KEY, "positive")
        executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=100)
        good = [e for e in executions if e.run_id == good_run.run_id]
        assert sorted(e.partition for e in good) == RANGE
        assert {e.status.value for e in good} == {"SUCCEEDED"}
        assert good[0].event.dagster_event.asset_check_evaluation_data.metadata["observed_value"].value == 7
