"""The jobs the schedules and sensors target, and how a run request over a range of partitions looks.

- `ingest_<kind>_job`: the ingest assets (`raw/<source>`) of one period kind.
- `warehouse_daily_job` / `warehouse_monthly_job`: everything after ingest over a window of days /
  months (dbt, quality, KPIs, alerts, reports, publish), by group and partitions definition.
- `dbt_whole_table_tests_job`: the dbt models alone (the manifest's selection `fqn:*`), for the
  weekly run whose dbt tests read whole tables.

Writers never collide: every warehouse-writing step is in pool `duckdb_warehouse` (limit 1 in
`dagster.yaml`), so parallel runs queue their steps instead of failing on DuckDB's lock.
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from jd_pipeline.config import BUSINESS_TIMEZONE
from jd_pipeline.defs.partitions import (
    PARTITIONS_BY_PERIOD_KIND,
    RANGE_END_TAG,
    RANGE_START_TAG,
    daily_partitions,
    monthly_partitions,
)
from jd_pipeline.defs.transform import dbt_selection
from jd_pipeline.runtime import automation as auto

INGEST_GROUP = "ingest"
DOWNSTREAM_GROUPS: tuple[str, ...] = ("staging", "marts", "quality", "kpi", "alerts", "reports", "publish")
TRIGGER_TAG = "jd/trigger"

INGEST_JOB_NAMES: dict[str, str] = {
    "daily": "ingest_daily_job",
    "monthly": "ingest_monthly_job",
    "quarterly": "ingest_quarterly_job",
    "yearly": "ingest_yearly_job",
}
WAREHOUSE_JOB_NAME = "warehouse_daily_job"
WAREHOUSE_MONTHLY_JOB_NAME = "warehouse_monthly_job"
WHOLE_TABLE_TESTS_JOB_NAME = "dbt_whole_table_tests_job"
PARTITION_FORMATS: dict[str, str] = {kind: pdef.fmt for kind, pdef in PARTITIONS_BY_PERIOD_KIND.items()}


class GroupPartitionsSelection(dg.AssetSelection):
    """Materializable assets of `groups` whose partitions definition is one of `partitions_defs`
    (`None` in the list = unpartitioned). Resolves to whatever exists: never fails on a missing key,
    so jobs stay valid while domains land."""

    def __init__(self, groups: Sequence[str], partitions_defs: Sequence[dg.PartitionsDefinition | None]):
        self._groups = tuple(groups)
        self._pdefs = tuple(partitions_defs)

    def resolve_inner(self, asset_graph, allow_missing: bool) -> set[dg.AssetKey]:
        keys: set[dg.AssetKey] = set()
        for group in self._groups:
            for key in asset_graph.asset_keys_for_group(group, require_materializable=True):
                if any(asset_graph.get(key).partitions_def == p for p in self._pdefs):
                    keys.add(key)
        return keys

    def __repr__(self) -> str:
        return f"GroupPartitionsSelection({self._groups}, {len(self._pdefs)} partitions defs)"


ingest_jobs = {
    kind: dg.define_asset_job(
        name,
        selection=GroupPartitionsSelection([INGEST_GROUP], [PARTITIONS_BY_PERIOD_KIND[kind]]),
        partitions_def=PARTITIONS_BY_PERIOD_KIND[kind],
        description=f"Ingest the {kind} sources (`raw/<source>`) for a partition or a range (one run).",
        tags={"jd/stage": "ingest"},
    )
    for kind, name in INGEST_JOB_NAMES.items()
}
ingest_daily_job = ingest_jobs["daily"]
ingest_monthly_job = ingest_jobs["monthly"]

warehouse_daily_job = dg.define_asset_job(
    WAREHOUSE_JOB_NAME,
    selection=GroupPartitionsSelection(DOWNSTREAM_GROUPS, [daily_partitions, None]),
    partitions_def=daily_partitions,
    description=(
        "Everything after ingest over a window of days: dbt staging and marts, quality gate and "
        "checks, KPIs, reports, publish."
    ),
    tags={"jd/stage": "warehouse"},
)

# Monthly-partitioned downstream assets (the monthly reports). Queued behind the daily refresh of
# the same tick: lower priority, and dagster.yaml allows one `jd/stage=warehouse` run at a time.
warehouse_monthly_job = dg.define_asset_job(
    WAREHOUSE_MONTHLY_JOB_NAME,
    selection=GroupPartitionsSelection(DOWNSTREAM_GROUPS, [monthly_partitions]),
    partitions_def=monthly_partitions,
    description="Monthly-partitioned assets after ingest (monthly reports) for the months refreshed.",
    tags={"jd/stage": "warehouse", "dagster/priority": "-1"},
)

# The dbt models alone for one day, with the tests on whole tables (weekly_whole_table_tests).
dbt_whole_table_tests_job = dg.define_asset_job(
    WHOLE_TABLE_TESTS_JOB_NAME,
    selection=dbt_selection("fqn:*"),
    partitions_def=daily_partitions,
    description="dbt build of one day with every dbt test reading whole tables, not the day's window.",
    tags={"jd/stage": "warehouse"},
)

ALL_JOBS = [*ingest_jobs.values(), warehouse_daily_job, warehouse_monthly_job, dbt_whole_table_tests_job]


def automation_status() -> tuple[dg.DefaultScheduleStatus, dg.DefaultSensorStatus]:
    """Schedules and sensors start STOPPED (turn them on in the UI) unless `JD_AUTOMATION_ON=1`."""
    if auto.env_flag("JD_AUTOMATION_ON"):
        return dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED


def range_request(
    *,
    keys: Sequence[str],
    run_key: str,
    tags: dict[str, str],
    job_name: str | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
) -> dg.RunRequest:
    """One run for a contiguous range of partition keys (single-run backfill policy)."""
    first, last = min(keys), max(keys)
    if first == last:
        return dg.RunRequest(
            run_key=run_key,
            job_name=job_name,
            asset_selection=asset_selection,
            partition_key=first,
            tags=tags,
        )
    return dg.RunRequest(
        run_key=run_key,
        job_name=job_name,
        asset_selection=asset_selection,
        tags={**tags, RANGE_START_TAG: first, RANGE_END_TAG: last},
    )


def valid_keys(kind: str, now: datetime) -> set[str]:
    return set(PARTITIONS_BY_PERIOD_KIND[kind].get_partition_keys(current_time=now))


def business_yesterday(now: datetime) -> date:
    return now.astimezone(ZoneInfo(BUSINESS_TIMEZONE)).date() - timedelta(days=1)


defs = dg.Definitions(jobs=ALL_JOBS)
