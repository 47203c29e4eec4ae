"""Run the `jd-pipeline run` stages of a data directory through `dg.execute_job`, as the daemon's
run worker does: `python -m tests.deploy.stage_runs <kind> <concurrent steps> <data dir> [stage]`
prints the run ids and the wall time as JSON. tests/deploy/test_executors.py starts it as a process of
its own, as a run worker is, so the step processes of the multiprocess executor fork from a plain
Python process and not from the test runner's.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg

from jd_pipeline.runtime.replay import MART_GROUPS
from tests.e2e.test_nightly import data_dir_env

START, END = date(2026, 3, 1), date(2026, 3, 7)


@functools.cache
def stage_job(stage_name: str, kind: str, concurrent_steps: int = 1) -> dg.JobDefinition:
    """The job of one `jd-pipeline run` stage with executor `kind`; step processes rebuild it from
    these arguments (`dg.build_reconstructable_job`)."""
    from jd_pipeline.definitions import defs
    from jd_pipeline.defs.executor import build_executor
    from jd_pipeline.orchestrate import _stage_selection

    stage = next(s for s in _stages(defs) if s.name == stage_name)
    job = dg.define_asset_job(
        f"stage_{stage_name}",
        selection=_stage_selection(defs, stage),
        executor_def=build_executor(kind, concurrent_steps),
    )
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(job.name)


def _stages(defs: dg.Definitions):
    from jd_pipeline.orchestrate import plan_stages

    return plan_stages(defs, include_publish=False, only_groups=MART_GROUPS)


def run_stages(
    kind: str, root: Path, concurrent_steps: int = 1, only: str | None = None
) -> tuple[list[str], float]:
    """Every stage (or stage `only`) over START..END with executor `kind`: run ids and wall time."""
    from jd_pipeline.config import get_settings
    from jd_pipeline.definitions import defs
    from jd_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
    from jd_pipeline.orchestrate import partition_range
    from jd_pipeline.runtime.instance import open_instance

    run_ids: list[str] = []
    began = time.perf_counter()
    with data_dir_env(root):
        instance = open_instance(get_settings())
        for stage in _stages(defs):
            if only and stage.name != only:
                continue
            bounds = partition_range(stage.partitions_def, START, END)
            if stage.partitions_def is not None and bounds is None:
                continue
            tags = {RANGE_START_TAG: bounds[0], RANGE_END_TAG: bounds[1]} if bounds else {}
            job = dg.build_reconstructable_job(
                __name__, "stage_job", reconstructable_args=(stage.name, kind, concurrent_steps)
            )
            with dg.execute_job(job, instance=instance, tags=tags) as result:
                failures = [e.message for e in result.all_events if e.is_step_failure]
                assert result.success, f"{kind} {stage.name}: {failures}"
                run_ids.append(result.run_id)
    return run_ids, time.perf_counter() - began


def main(argv: list[str]) -> None:
    kind, steps, root, *only = argv
    run_ids, seconds = run_stages(kind, Path(root), int(steps), only[0] if only else None)
    print(json.dumps({"run_ids": run_ids, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1:])
