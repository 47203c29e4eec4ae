"""Recover from runs whose process died (SIGKILL, OOM, reboot) without telling Dagster.

Such a run stays STARTED forever and keeps the pool slot its step claimed. With pool
`duckdb_warehouse` limited to 1 slot, every later warehouse step would wait for it for ever. The
Dagster daemon's run monitoring handles runs it launched; `jd-pipeline run` executes in-process
without a daemon, so it should call `recover_dead_runs(instance)` before it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import dagster as dg

_LIVE_STATUSES = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
_TERMINAL_STATUSES = {
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
}


@dataclass
class RecoveryReport:
    failed_runs: list[str] = field(default_factory=list)  # marked FAILURE: their process is gone
    freed_slot_runs: list[str] = field(default_factory=list)  # pool slots released

    def __bool__(self) -> bool:
        return bool(self.failed_runs or self.freed_slot_runs)


def recover_dead_runs(instance: dg.DagsterInstance) -> RecoveryReport:
    """Mark STARTING/STARTED runs whose process no longer exists on this host as failed, and
    free the concurrency slots held by runs that are finished or dead."""
    report = RecoveryReport()
    for record in instance.get_run_records(dg.RunsFilter(statuses=_LIVE_STATUSES)):
        run = record.dagster_run
        pid = _run_pid(instance, run.run_id)
        if pid is None or _alive(pid):
            continue
        instance.report_run_failed(run, f"recovered: the process of this run (pid {pid}) no longer exists")
        report.failed_runs.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            holder = instance.get_run_by_id(run_id)
            if holder is None or holder.status in _TERMINAL_STATUSES:
                storage.free_concurrency_slots_for_run(run_id)
                report.freed_slot_runs.append(run_id)
    return report


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid that executed the run (from its first engine/run events), None if unknown."""
    for event_type in (
        dg.DagsterEventType.RUN_START,
        dg.DagsterEventType.ENGINE_EVENT,
        dg.DagsterEventType.STEP_START,
    ):
        records = instance.get_records_for_run(run_id, of_type=event_type, limit=1).records
        for record in records:
            event = record.event_log_entry.dagster_event
            if event is not None and event.pid:
                return int(event.pid)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
