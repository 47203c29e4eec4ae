"""Cost of recording a range run in the UI's instance, without the pipeline's work.

    python benchmarks/recording_standin.py [--outputs 62] [--days 60]

One multi-asset with `--outputs` daily-partitioned outputs and a check each (the shape of the
build stage), run once over `--days` partitions (single-run backfill) in a fresh instance prepared
like `jd-pipeline run`'s (jd_pipeline/runtime/instance.py). Prints wall and CPU seconds of the run and
the event-log write seconds the storage measures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG


def stand_in_job(outputs: int, days: dg.DailyPartitionsDefinition) -> dg.JobDefinition:
    keys = [dg.AssetKey(["marts", f"m{i}"]) for i in range(outputs)]

    @dg.multi_asset(
        specs=[dg.AssetSpec(key, skippable=True) for key in keys],
        partitions_def=days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=[dg.AssetCheckSpec("ok", asset=key) for key in keys],
    )
    def many(context):
        for key in keys:
            yield dg.MaterializeResult(asset_key=key, metadata={"dagster/row_count": 100, "note": "x" * 200})
        for key in keys:
            yield dg.AssetCheckResult(
                asset_key=key, check_name="ok", passed=True, metadata={"observed_value": 1}
            )

    defs = dg.Definitions(
        assets=[many], jobs=[dg.define_asset_job("stand_in", selection=dg.AssetSelection.all())]
    )
    return defs.resolve_job_def("stand_in")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outputs", type=int, default=62)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()

    from jd_pipeline.runtime.event_storage import EVENT_BATCH_SIZE
    from jd_pipeline.runtime.instance import write_instance_config

    days = dg.DailyPartitionsDefinition(start_date="2025-01-01")
    keys = days.get_partition_keys()
    job = stand_in_job(args.outputs, days)
    with tempfile.TemporaryDirectory(prefix="recording-standin-") as tmp:
        home = Path(tmp)
        write_instance_config(home)
        os.environ["DAGSTER_HOME"] = str(home)
        os.environ["DAGSTER_EVENT_BATCH_SIZE"] = str(EVENT_BATCH_SIZE)
        result, wall, cpu, writes = _run(job, keys[0], keys[args.days - 1])
    print(
        f"{args.outputs} outputs x {args.days} days: success={result.success} wall {wall:.1f}s, "
        f"cpu {cpu:.1f}s, event-log writes {writes:.1f}s"
    )


def _run(
    job: dg.JobDefinition, first: str, last: str
) -> tuple[dg.ExecuteInProcessResult, float, float, float]:
    with dg.DagsterInstance.get() as instance:
        wall, cpu = time.perf_counter(), time.process_time()
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return result, wall, cpu, instance.event_log_storage.write_seconds


if __name__ == "__main__":
    main()
