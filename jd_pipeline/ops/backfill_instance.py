"""The Dagster instance of long backfills: in memory, and without per-partition asset events.

A range run writes two events per asset and partition (materialization planned, materialized),
and a planned event per asset check that costs a row per partition:
for the ~60 dbt assets over a year that is ~45,000 events, each costing ~2 ms of SQLAlchemy and
serialization in Dagster's storage even when it is in memory. Measured on a stand-in multi-asset
(62 outputs × 365 daily partitions, no work at all): 90 s, nearly all of it in `store_event`.

Backfills longer than `RECORD_RUNS_MAX_DAYS` already run on a throw-away instance (nothing of it
survives the command), so storing those events buys nothing. This instance keeps every other
event (run and step lifecycle, asset check evaluations, logs), which is what `jd-pipeline run`
reads back for its report; the per-partition events still reach Dagster's loggers with
`--verbose`. Nothing in the assets reads the instance during a run.
"""

from __future__ import annotations

from dagster import DagsterEventType, DagsterInstance, EventLogEntry
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage

UNSTORED_EVENT_TYPES = frozenset({
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_MATERIALIZATION,
    # ~20 ms each on partitioned assets (a row per check and partition): 5.8 s of a 60-day run
    DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
})


class UnrecordedAssetEventsStorage(InMemoryEventLogStorage):
    """In-memory event log that does not store per-partition asset materialization events."""

    def __init__(self) -> None:
        super().__init__()
        self.unstored_events = 0

    def store_event(self, event: EventLogEntry) -> None:
        if event.dagster_event is not None and event.dagster_event.event_type in UNSTORED_EVENT_TYPES:
            self.unstored_events += 1
            return
        super().store_event(event)


def backfill_instance() -> DagsterInstance:
    """An ephemeral instance (as `DagsterInstance.ephemeral()`) with the lighter event log."""
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=UnrecordedAssetEventsStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
