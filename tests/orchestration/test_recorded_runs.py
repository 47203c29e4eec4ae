"""Every `jd-pipeline run` is recorded in the persistent instance the UI reads, however long.

A 40-day window (longer than the 31 days that used to be recorded) over small stand-in assets:
afterwards the instance, opened as `dagster dev` opens it, holds every partition materialized,
the check's result on every partition of the run, and one run per stage.
"""

from datetime import date

import dagster as dg
import pytest

from jd_pipeline.defs.partitions import daily_partitions
from jd_pipeline.orchestrate import run_pipeline
from jd_pipeline.runtime.event_storage import BatchedSqliteEventLogStorage
from tests.orchestration.test_orchestrate import DEFS

START, END = date(2025, 3, 1), date(2025, 4, 9)  # 40 days, two months


def _days() -> list[str]:
    keys = daily_partitions.get_partition_keys()
    return keys[keys.index(START.isoformat()) : keys.index(END.isoformat()) + 1]


@pytest.mark.integration
def test_long_run_leaves_partitions_checks_and_runs_in_the_instance(data_dir) -> None:
    report = run_pipeline(START, END, progress=lambda _: None, defs=DEFS)
    assert report.success, report.render()
    assert report.event_log_seconds > 0  # the recording is timed for the benchmark figure

    with dg.DagsterInstance.from_config(str(data_dir / "dagster_home")) as instance:
        assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
        assert instance.get_materialized_partitions(dg.AssetKey(["marts", "fct"])) == set(_days())
        assert len(_days()) == 40
        assert instance.get_materialized_partitions(dg.AssetKey(["raw", "monthly_src"])) == {
            "2025-03-01",
            "2025-04-01",
        }
        latest = instance.get_latest_materialization_event(dg.AssetKey(["marts", "fct"]))
        assert latest is not None and latest.dagster_event.partition == END.isoformat()

        check = dg.AssetCheckKey(dg.AssetKey(["marts", "fct"]), "fct_is_sane")
        executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=100)
        assert {e.partition for e in executions} == set(_days())
        assert {e.status.value for e in executions} == {"SUCCEEDED"}
        evaluation = executions[0].event.dagster_event.asset_check_evaluation_data
        assert evaluation.metadata["observed_value"].value == 42

        runs = instance.get_runs()
        assert {run.run_id for run in runs} == {o.run_id for o in report.outcomes}
        assert all(run.is_success for run in runs)
        steps = instance.get_records_for_run(
            report.outcomes[0].run_id, of_type=dg.DagsterEventType.STEP_SUCCESS
        )
        assert len(steps.records) >= 1
