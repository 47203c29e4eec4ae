"""A run SIGKILLed while holding the `duckdb_warehouse` slot does not block the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from jd_pipeline.defs.resources import WAREHOUSE_POOL
from jd_pipeline.runtime.instance import write_instance_config
from jd_pipeline.runtime.recovery import recover_dead_runs

CHILD = textwrap.dedent("""
    import os, sys, time
    import dagster as dg
    marker, hang = sys.argv[1], sys.argv[2] == "hang"

    @dg.asset(key=["marts", "fake"], pool="duckdb_warehouse")
    def fake() -> None:
        open(marker, "w").close()
        if hang:
            time.sleep(600)

    with dg.DagsterInstance.get() as instance:
        assert dg.materialize([fake], instance=instance).success
    print("done", flush=True)
""")


@pytest.mark.integration
def test_killed_run_releases_the_pool_slot(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)

    marker = tmp_path / "in-step"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker), "hang"], env=env)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots, (
            "slot held by the dead run"
        )
        report = recover_dead_runs(instance)
        assert len(report.failed_runs) == 1
        assert report.freed_slot_runs == report.failed_runs
        assert not instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots
        assert instance.get_run_by_id(report.failed_runs[0]).status == dg.DagsterRunStatus.FAILURE
        assert not recover_dead_runs(instance)  # idempotent

    marker.unlink()
    follow_up = subprocess.run(
        [sys.executable, "-c", CHILD, str(marker), "go"],
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
        check=False,
    )
    assert follow_up.returncode == 0 and "done" in follow_up.stdout, follow_up.stderr[-3000:]
