"""The instance's event log: Dagster's SQLite storage, writing a batch of asset events at once.

A single-run backfill records one materialization per asset and partition (the UI's partition
status is built from them): a year of the ~70 daily assets is ~25,000 events. Dagster's SQLite
storage writes each event on its own, opening a new SQLAlchemy engine and a transaction for the
run's database and again for the index database: ~2 ms per event on an idle machine.

Dagster batches exactly these events when `DAGSTER_EVENT_BATCH_SIZE` is set (the materializations
of one output over a partition range, the planned events of a run), and hands each batch to
`EventLogStorage.store_event_batch`, which the SQLite storage does not implement (it loops over
`store_event`). This subclass implements it: one transaction per database for the whole batch,
and the asset's summary row (`asset_keys`, the "latest materialization") written once per asset
with the batch's last event, which is the row the one-by-one writes would leave behind.

A run's planned checks come in the same batch as its planned materializations. Dagster's storage
writes each planned check with an `asset_check_executions` row per planned partition, serializing
the event again for every row in one VALUES clause that SQLAlchemy compiles anew each time (a
year's run of ~200 checks: 73,000 rows, most of the run's recording time). Here the event is
serialized once and the rows go in as one prepared statement, in the batch's transaction.
Everything else is Dagster's own SQLite storage; `dagster.yaml` selects it (runtime/dagster.yaml).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from dagster import (
    AssetKey,
    DagsterEventType,
    EventLogEntry,
    Field,
    StringSource,
    deserialize_value,
    serialize_value,
)

# No public API for a custom event-log storage: it subclasses Dagster's SQLite one and writes its tables.
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log import SqlEventLogStorageTable, SqliteEventLogStorage
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from jd_pipeline.config import ConfigError

# The asset events Dagster batches and that touch only the event tables and `asset_keys`
# (check events have their own table and keep Dagster's write path).
BATCHED_EVENT_TYPES = frozenset(
    {
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_OBSERVATION,
        DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    }
)
# Shards whose engine (and open connection) is kept: the index and the few runs being written.
KEPT_SHARDS = 4
# Events a batch should carry per write: Dagster buffers up to this many of one batch.
EVENT_BATCH_SIZE = 1000


class MissingEventLogDirectory(ConfigError):
    """The instance's dagster.yaml does not say where the event log lives."""


def _batchable(event: EventLogEntry) -> bool:
    return (
        event.dagster_event is not None
        and event.dagster_event.asset_key is not None
        and event.dagster_event.event_type in BATCHED_EVENT_TYPES
    )


def _planned_check(event: EventLogEntry) -> bool:
    return (
        event.dagster_event is not None
        and event.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        and bool(event.run_id)
    )


def _planned_check_executions(
    storage: SqliteEventLogStorage, event: EventLogEntry, event_id: int | None
) -> list[dict[str, Any]]:
    """The `asset_check_executions` rows Dagster writes for a planned check: one per partition
    the run plans it for (one without a partition for an unpartitioned check)."""
    planned = event.get_dagster_event().asset_check_planned_data
    partition_keys: list[str | None] = (
        list(planned.partitions_subset.get_partition_keys()) if planned.partitions_subset else [None]
    )
    serialized = serialize_value(event)
    timestamp = storage._event_insert_timestamp(event)
    return [
        {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "partition": partition_key,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialized,
            "evaluation_event_timestamp": timestamp,
            "evaluation_event_storage_id": event_id,
        }
        for partition_key in partition_keys
    ]


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with a `store_event_batch` that writes a batch in one go.

    `base_dir` is written into the instance's dagster.yaml (runtime/instance.py); an older copy
    without it falls back to `$DAGSTER_HOME/history/runs`, where Dagster's default storage keeps
    the event log, so an existing instance keeps its history.
    """

    # Seconds this process spent writing events (the cost of recording; benchmarks/run.py reports it)
    write_seconds: float = 0.0

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # Dagster's __init__ connects already
        super().__init__(base_dir, inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """Dagster's connection to a shard (a run's database or the index), from an engine kept
        for the shard. Dagster creates an engine and a connection for every write and closes
        them after it; closing the last connection to a WAL database checkpoints it (copies the
        log into the file), so every event paid a checkpoint. The kept engine holds one
        connection (no lock while idle: other processes read and write as before); SQLite still
        checkpoints on its own every 1000 pages."""
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = sqlalchemy.create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=StaticPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
                if len(self._engines) > KEPT_SHARDS:  # the index and the runs being written
                    self._engines.popitem(last=False)[1].dispose()
            self._engines.move_to_end(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()

    @property
    def supports_partition_subset_in_asset_materialization_planned_events(self) -> bool:
        """A run over a partition range plans each asset with one event naming the range, not one
        event per partition (Dagster's switch `DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`):
        half of a year's events. Dagster's SQL storage would then no longer see the partitions
        of a failed or running range run; this storage reads the ranges back
        (`get_latest_asset_partition_materialization_attempts_without_materializations`)."""
        return True

    def get_latest_asset_partition_materialization_attempts_without_materializations(
        self, asset_key: AssetKey, after_storage_id: int | None = None
    ) -> Mapping[str, tuple[str, int]]:
        """Dagster's answer (partition -> run and planned event of its latest attempt that has no
        materialization after it; the UI's failed and in-progress partitions come from it), with
        the partitions of range-planned events added."""
        attempts = dict(
            super().get_latest_asset_partition_materialization_attempts_without_materializations(
                asset_key, after_storage_id
            )
        )
        ranges = self._range_planned_events(asset_key, after_storage_id)
        if not ranges:
            return attempts
        materialized = self.get_latest_storage_id_by_partition(
            asset_key, DagsterEventType.ASSET_MATERIALIZATION, after_cursor=after_storage_id
        )
        for run_id, event_id, partitions in ranges:  # oldest first: a later attempt replaces an earlier one
            for partition in partitions:
                if materialized.get(partition, 0) > event_id:
                    continue
                if partition not in attempts or attempts[partition][1] < event_id:
                    attempts[partition] = (run_id, event_id)
        return attempts

    def _range_planned_events(
        self, asset_key: AssetKey, after_storage_id: int | None
    ) -> list[tuple[str, int, list[str]]]:
        """Run, event id and partitions of the asset's planned events that name a partition range."""
        table = SqlEventLogStorageTable
        query = sqlalchemy.select(table.c.run_id, table.c.id, table.c.event).where(
            table.c.asset_key == asset_key.to_string(),
            table.c.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION_PLANNED.value,
            table.c.partition.is_(None),
        )
        if after_storage_id is not None:
            query = query.where(table.c.id > after_storage_id)
        query = self._add_assets_wipe_filter_to_query(
            query, self._get_assets_details([asset_key]), [asset_key]
        )
        with self.index_connection() as conn:
            rows = conn.execute(query.order_by(table.c.id.asc())).mappings().all()
        ranges = []
        for row in rows:
            event = deserialize_value(row["event"], EventLogEntry).get_dagster_event()
            planned = event.asset_materialization_planned_data
            if planned.partitions_subset is not None:
                ranges.append(
                    (row["run_id"], row["id"], list(planned.partitions_subset.get_partition_keys()))
                )
        return ranges

    def store_event(self, event: EventLogEntry) -> None:
        began = time.perf_counter()
        try:
            super().store_event(event)
        finally:
            BatchedSqliteEventLogStorage.write_seconds += time.perf_counter() - began

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> BatchedSqliteEventLogStorage:
        base_dir = config_value.get("base_dir")
        if not base_dir:
            home = os.environ.get("DAGSTER_HOME")
            if not home:
                raise MissingEventLogDirectory(
                    "the event log of this Dagster instance has no directory: its dagster.yaml sets no "
                    "event_log_storage.config.base_dir and DAGSTER_HOME is not set; rewrite the file with "
                    "jd_pipeline.runtime.instance.write_instance_config(<instance directory>) or set DAGSTER_HOME"
                )
            base_dir = os.path.join(home, "history", "runs")
        return cls(base_dir=base_dir, inst_data=inst_data)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        batch = [event for event in events if _batchable(event)]
        planned_checks = [event for event in events if _planned_check(event)]
        for event in events:
            if not _batchable(event) and not _planned_check(event):
                self.store_event(event)
        began = time.perf_counter()
        for run_id in dict.fromkeys(event.run_id for event in batch):
            self._store_asset_events(run_id, [event for event in batch if event.run_id == run_id])
        for run_id in dict.fromkeys(event.run_id for event in planned_checks):
            self._store_planned_checks(run_id, [event for event in planned_checks if event.run_id == run_id])
        BatchedSqliteEventLogStorage.write_seconds += time.perf_counter() - began

    def _store_planned_checks(self, run_id: str, events: list[EventLogEntry]) -> None:
        """The checks a run plans (they come in the run's batch of planned events): the events in
        both databases and each check's execution rows, one transaction per database."""
        rows = [self._event_to_row(event) for event in events]
        with self.run_connection(run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        with self.index_transaction() as conn:
            inserted = conn.execute(
                SqlEventLogStorageTable.insert().returning(
                    SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                ),
                rows,
            )
            event_ids = [row[0] for row in inserted]
            executions = [
                row
                for event, event_id in zip(events, event_ids)
                for row in _planned_check_executions(self, event, event_id)
            ]
            conn.execute(AssetCheckExecutionsTable.insert(), executions)

    def _store_asset_check_evaluation_planned(self, event: EventLogEntry, event_id: int | None) -> None:
        """Dagster's rows (one per planned partition), with the event serialized once instead of
        once per partition, and inserted as one prepared statement instead of a statement with
        a VALUES clause per partition (SQLAlchemy compiles that anew for every check)."""
        with self.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.insert(), _planned_check_executions(self, event, event_id))

    def _store_asset_events(self, run_id: str, events: list[EventLogEntry]) -> None:
        rows = [self._event_to_row(event) for event in events]  # serialized once for both databases
        with self.run_connection(run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        with self.index_transaction() as conn:
            # the index copy needs each event's id (tags and `asset_keys` point at it)
            inserted = conn.execute(
                SqlEventLogStorageTable.insert().returning(
                    SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                ),
                rows,
            )
            event_ids = [row[0] for row in inserted]
            self._store_asset_event_tags(conn, events, event_ids)
            last: dict[tuple[str, str], tuple[EventLogEntry, int]] = {}
            for event, event_id in zip(events, event_ids):
                dagster_event = event.get_dagster_event()
                assert dagster_event.asset_key is not None  # every batched event is an asset event
                last[(dagster_event.asset_key.to_string(), dagster_event.event_type_value)] = (
                    event,
                    event_id,
                )
            for event, event_id in last.values():
                self._store_asset_event(conn, event, event_id)

    def _update_asset_check_evaluation(self, event: EventLogEntry, event_id: int | None) -> None:
        """A check evaluated once over a run's partition range (a dbt test over the window) is the
        result of every partition the run planned it for; Dagster would add a separate row without
        a partition and leave the planned partitions "in progress" for ever."""
        evaluation = event.get_dagster_event().asset_check_evaluation_data
        if evaluation.partition is not None or not self._resolve_planned_partitions(event, event_id):
            super()._update_asset_check_evaluation(event, event_id)

    def _resolve_planned_partitions(self, event: EventLogEntry, event_id: int | None) -> bool:
        evaluation = event.get_dagster_event().asset_check_evaluation_data
        status = (
            AssetCheckExecutionRecordStatus.SUCCEEDED
            if evaluation.passed
            else AssetCheckExecutionRecordStatus.FAILED
        )
        table = AssetCheckExecutionsTable
        with self.index_connection() as conn:
            updated = conn.execute(
                table.update()
                .where(
                    table.c.asset_key == evaluation.asset_key.to_string(),
                    table.c.check_name == evaluation.check_name,
                    table.c.run_id == event.run_id,
                    table.c.partition.is_not(None),
                    table.c.execution_status == AssetCheckExecutionRecordStatus.PLANNED.value,
                )
                .values(
                    execution_status=status.value,
                    evaluation_event=serialize_value(event),
                    evaluation_event_timestamp=self._event_insert_timestamp(event),
                    evaluation_event_storage_id=event_id,
                    materialization_event_storage_id=(
                        evaluation.target_materialization_data.storage_id
                        if evaluation.target_materialization_data
                        else None
                    ),
                )
            ).rowcount
        return updated > 0
