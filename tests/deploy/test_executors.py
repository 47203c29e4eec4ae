"""The multiprocess executor builds the same marts as the in-process one, and never lets two steps of
the warehouse pool run at once.

A small generated landing zone (one brand, one week) is run stage by stage, as `jd-pipeline run`
cuts the graph (orchestrate.plan_stages: ingest per period kind, then dbt), once with every step in
the run's process and once with a process per step (`dg.execute_job` of a reconstructable job in a
process of its own, tests/deploy/stage_runs.py, as the daemon launches a run worker). Both
warehouses must hold the same marts (row counts and checksums of every table), and the steps must
have run in processes of their own.

The marts run uses one step process at a time: with two, the second ready step waits for the pool
slot and Dagster re-checks a blocked claim with a back-off of up to 15 s, which costs minutes over the
~70 pool steps of the pipeline for nothing (deploy/README.md). The pool itself is tested on the
monthly ingest stage with two step processes: the event log's STEP_START..STEP_SUCCESS
intervals of the steps in pool `duckdb_warehouse` must not overlap, although two were running.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from tests.deploy.stage_runs import END, START
from tests.e2e.test_nightly import data_dir_env

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STEP_EVENTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    from jd_pipeline.generate import generate

    root = tmp_path_factory.mktemp("generated")
    generate(out=root / "landing", brands=1, start=START, end=END, scale=0.01, seed=7, workers=1)
    return root


@pytest.fixture(scope="module")
def runs(landing, tmp_path_factory) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, kind, steps, only in (
        ("in_process", "in_process", 1, None),
        ("multiprocess", "multiprocess", 1, None),
        ("contended", "multiprocess", 2, "ingest_monthly"),
    ):
        root = tmp_path_factory.mktemp(name) / "data"
        shutil.copytree(landing / "landing", root / "landing")  # copy2: the loader orders by mtime
        shutil.copy(landing / "brands.yaml", root / "brands.yaml")
        args = [
            sys.executable,
            "-m",
            "tests.deploy.stage_runs",
            kind,
            str(steps),
            str(root),
            *filter(None, [only]),
        ]
        done = subprocess.run(args, check=False, cwd=REPO, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]
        out[name] = {"root": root, **json.loads(done.stdout.strip().splitlines()[-1])}
    print(
        f"wall time over {START}..{END}: in-process {out['in_process']['seconds']:.1f}s, "
        f"multiprocess {out['multiprocess']['seconds']:.1f}s; monthly ingest with 2 step processes "
        f"{out['contended']['seconds']:.1f}s"
    )
    return out


def test_multiprocess_marts_equal_in_process(runs) -> None:
    from jd_pipeline.runtime.equality import compare, fingerprints

    left = str(runs["in_process"]["root"] / "warehouse" / "warehouse.duckdb")
    right = str(runs["multiprocess"]["root"] / "warehouse" / "warehouse.duckdb")
    figures = fingerprints(left)
    assert len(figures) >= 10 and sum(f.rows for f in figures.values()) > 100, figures
    assert fingerprints(right) == figures
    differences = compare(left, right)
    assert not differences, "\n".join(d.describe("in-process", "multiprocess") for d in differences)


def _pool_steps(run_id: str, instance: dg.DagsterInstance) -> set[str]:
    """Step keys of the run whose op is in the warehouse pool."""
    from jd_pipeline.defs.resources import WAREHOUSE_POOL

    snapshot = instance.get_execution_plan_snapshot(instance.get_run_by_id(run_id).execution_plan_snapshot_id)
    return {step.key for step in snapshot.steps if step.pool == WAREHOUSE_POOL}


def _intervals(runs: dict, kind: str) -> tuple[list[tuple[float, float, str]], set[int], set[str]]:
    """(start, end, step) of every pool step of the runs, the step processes' pids and the steps
    outside the pool."""
    root = runs[kind]["root"]
    intervals: list[tuple[float, float, str]] = []
    pids: set[int] = set()
    outside: set[str] = set()
    with data_dir_env(root), dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        for run_id in runs[kind]["run_ids"]:
            members = _pool_steps(run_id, instance)
            started: dict[str, float] = {}
            for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
                event = entry.dagster_event
                if event.event_type == dg.DagsterEventType.STEP_START:
                    started[event.step_key] = entry.timestamp
                    pids.add(event.pid)
                elif event.step_key in members:
                    intervals.append((started[event.step_key], entry.timestamp, event.step_key))
                else:
                    outside.add(event.step_key)
    return sorted(intervals), pids, outside


def test_multiprocess_steps_run_in_their_own_processes(runs) -> None:
    intervals, pids, _ = _intervals(runs, "multiprocess")
    assert len(intervals) >= 10
    assert len(pids) > 1, pids  # a process per step
    _, in_process_pids, _ = _intervals(runs, "in_process")
    assert len(in_process_pids) == 1  # every step in the run worker


def test_no_two_warehouse_steps_overlap(runs) -> None:
    for name in ("multiprocess", "contended"):
        intervals, pids, _ = _intervals(runs, name)
        assert len(intervals) >= 5 and len(pids) > 1
        # sorted by start: any overlap shows between neighbours
        overlaps = [(a[2], b[2]) for a, b in itertools.pairwise(intervals) if b[0] < a[1]]
        assert not overlaps, (name, overlaps)


def test_contended_steps_waited_for_the_pool(runs) -> None:
    """With two step processes the monthly ingest's steps did compete: the executor reported a step
    blocked by the pool's limit (else the no-overlap test above would prove nothing)."""
    root = runs["contended"]["root"]
    with data_dir_env(root), dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        (run_id,) = runs["contended"]["run_ids"]
        blocked = [
            entry
            for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
            if "blocked by limit for pool duckdb_warehouse" in (entry.user_message or "")
        ]
    assert blocked
