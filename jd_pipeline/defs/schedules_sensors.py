"""Nightly schedule, landing-zone sensor, downstream refresh sensor and the jobs they target.

How a night goes (Asia/Shanghai, default 02:00, `JD_NIGHTLY_CRON`):

1. `nightly` (-> `ingest_daily_job`): yesterday's partition of every daily source, plus the
   15-day `jd_ads` restatement window (the 14 days before yesterday) as one single-run range.
2. `nightly_monthly` (same cron, -> `ingest_monthly_job`): the month that just closed and the month
   in progress (partition keys that exist in the monthly partitions definition), as one range run.
3. `warehouse_refresh_sensor` (-> `warehouse_daily_job`): once no ingest run is queued or running,
   rebuilds staging, marts, quality, kpi, reports and publish over the business days whose ingest
   partitions were materialized since its cursor (nightly: the 15-day ads window; monthly: the two
   months). Late deliveries follow the same path: `landing_zone_sensor` requests ingest runs for
   partitions whose files are new or changed, then this sensor rebuilds and republishes.

4. `weekly_whole_table_tests` (Sunday 06:00, -> `dbt_whole_table_tests_job`): rebuilds yesterday with
   every dbt test reading whole tables instead of the window (a key duplicated across days, a row
   changed outside its window). Nightly runs test only the rows they rebuilt; a failure here is
   recorded in ops.dq_results and closes the quality gate like any blocking check.

Writers never collide: every warehouse-writing step is in pool `duckdb_warehouse` (limit 1 in
`dagster.yaml`), so parallel runs queue their steps instead of failing on DuckDB's lock.

Schedules and sensors start STOPPED (turn them on in the UI) unless `JD_AUTOMATION_ON=1`.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from jd_pipeline.config import BUSINESS_TIMEZONE, get_settings
from jd_pipeline.defs.freshness import build_freshness_defs
from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND, daily_partitions, monthly_partitions
from jd_pipeline.runtime import automation as auto

INGEST_GROUP = "ingest"
DOWNSTREAM_GROUPS: tuple[str, ...] = ("staging", "marts", "quality", "kpi", "alerts", "reports", "publish")
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
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
WEEKLY_WHOLE_TABLE_TESTS_CRON = "0 6 * * 0"  # Sundays 06:00 (business time), after the nightly run
DBT_STEP_NAMES = ("dbt_warehouse", "dbt_after_forecast")
_FORMATS: dict[str, str] = {kind: pdef.fmt for kind, pdef in PARTITIONS_BY_PERIOD_KIND.items()}
LANDING_SENSOR_INTERVAL_S = 60
REFRESH_SENSOR_INTERVAL_S = 60
MAX_RECORDS_PER_ASSET = 5000
_ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


# ------------------------------------------------------------------------------------ selections


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


def _ingest_job(kind: str) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        INGEST_JOB_NAMES[kind],
        selection=GroupPartitionsSelection([INGEST_GROUP], [PARTITIONS_BY_PERIOD_KIND[kind]]),
        partitions_def=PARTITIONS_BY_PERIOD_KIND[kind],
        description=f"Ingest the {kind} sources (`raw/<source>`) for a partition or a range (one run).",
        tags={"jd/stage": "ingest"},
    )


ingest_jobs: dict[str, UnresolvedAssetJobDefinition] = {kind: _ingest_job(kind) for kind in INGEST_JOB_NAMES}
ingest_daily_job = ingest_jobs["daily"]
ingest_monthly_job = ingest_jobs["monthly"]
ingest_quarterly_job = ingest_jobs["quarterly"]
ingest_yearly_job = ingest_jobs["yearly"]

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
    selection=GroupPartitionsSelection(("staging", "marts"), [daily_partitions]),
    partitions_def=daily_partitions,
    description="dbt build of one day with every dbt test reading whole tables, not the day's window.",
    tags={"jd/stage": "warehouse"},
)


# ------------------------------------------------------------------------------------ helpers


def _automation_status() -> tuple[dg.DefaultScheduleStatus, dg.DefaultSensorStatus]:
    if auto.env_flag("JD_AUTOMATION_ON"):
        return dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED


def _range_request(
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


def _valid_keys(kind: str, now: datetime) -> set[str]:
    return set(PARTITIONS_BY_PERIOD_KIND[kind].get_partition_keys(current_time=now))


def _business_yesterday(now: datetime) -> date:
    return now.astimezone(ZoneInfo(BUSINESS_TIMEZONE)).date() - timedelta(days=1)


def _existing_asset_keys(context: dg.SensorEvaluationContext) -> set[dg.AssetKey] | None:
    try:
        repo = context.repository_def
    except Exception:  # noqa: BLE001 - not available in some test contexts
        return None
    if repo is None:
        return None
    return set(repo.asset_graph.materializable_asset_keys)


# ------------------------------------------------------------------------------------ nightly


def nightly_run_requests(scheduled_time: datetime) -> list[dg.RunRequest]:
    """Run requests of the `nightly` schedule for a tick at `scheduled_time`."""
    plan = auto.nightly_plan(scheduled_time, get_settings().partitions_start)
    valid = _valid_keys("daily", scheduled_time)
    y = plan.yesterday.isoformat()
    tags = {TRIGGER_TAG: "nightly", "jd/nightly_date": y}
    requests: list[dg.RunRequest] = []
    if y in valid:
        requests.append(dg.RunRequest(run_key=f"nightly-daily-{y}", partition_key=y, tags=tags))
    ads_days = [
        (plan.ads_window[0] + timedelta(days=i)).isoformat()
        for i in range((plan.ads_window[1] - plan.ads_window[0]).days)  # the days before yesterday
    ]
    ads_days = [d for d in ads_days if d in valid]
    if ads_days:
        requests.append(
            _range_request(
                keys=ads_days,
                run_key=f"nightly-ads-restatement-{y}",
                asset_selection=[dg.AssetKey(["raw", auto.ADS_SOURCE])],
                tags={**tags, "jd/ads_restatement": "1"},
            )
        )
    return requests


def nightly_monthly_run_requests(scheduled_time: datetime) -> list[dg.RunRequest]:
    plan = auto.nightly_plan(scheduled_time, get_settings().partitions_start)
    fmt = PARTITIONS_BY_PERIOD_KIND["monthly"].fmt
    keys = [k for k in (m.strftime(fmt) for m in plan.months) if k in _valid_keys("monthly", scheduled_time)]
    if not keys:
        return []
    return [
        _range_request(
            keys=keys,
            run_key=f"nightly-monthly-{plan.yesterday.isoformat()}",
            tags={TRIGGER_TAG: "nightly", "jd/nightly_date": plan.yesterday.isoformat()},
        )
    ]


def weekly_whole_table_tests_request(
    scheduled_time: datetime, step_names: Iterable[str] = DBT_STEP_NAMES
) -> dg.RunRequest | dg.SkipReason:
    """The weekly run: yesterday's dbt build with `whole_table_tests` set on the dbt steps."""
    yesterday = _business_yesterday(scheduled_time).isoformat()
    if yesterday not in _valid_keys("daily", scheduled_time):
        return dg.SkipReason("yesterday is before JD_PARTITIONS_START")
    return dg.RunRequest(
        run_key=f"weekly-whole-table-tests-{yesterday}",
        partition_key=yesterday,
        run_config={"ops": {name: {"config": {"whole_table_tests": True}} for name in step_names}},
        tags={TRIGGER_TAG: "weekly_whole_table_tests"},
    )


_SCHEDULE_STATUS, _SENSOR_STATUS = _automation_status()


@dg.schedule(
    name="weekly_whole_table_tests",
    cron_schedule=WEEKLY_WHOLE_TABLE_TESTS_CRON,
    execution_timezone=BUSINESS_TIMEZONE,
    target=dbt_whole_table_tests_job,
    default_status=_SCHEDULE_STATUS,
    description="Sundays: yesterday's dbt build with every dbt test on whole tables (nightly runs test "
    "only the rows they rebuilt).",
)
def weekly_whole_table_tests(context: dg.ScheduleEvaluationContext):
    return weekly_whole_table_tests_request(context.scheduled_execution_time)


@dg.schedule(
    name="nightly",
    cron_schedule=get_settings().nightly_cron,
    execution_timezone=BUSINESS_TIMEZONE,
    target=ingest_daily_job,
    default_status=_SCHEDULE_STATUS,
    description=(
        "Nightly ingest of yesterday's daily partitions + the 15-day 京准通 restatement window. "
        "warehouse_refresh_sensor then rebuilds the marts and publishes."
    ),
)
def nightly(context: dg.ScheduleEvaluationContext):
    requests = nightly_run_requests(context.scheduled_execution_time)
    return requests or dg.SkipReason("yesterday is before JD_PARTITIONS_START")


@dg.schedule(
    name="nightly_monthly",
    cron_schedule=get_settings().nightly_cron,
    execution_timezone=BUSINESS_TIMEZONE,
    target=ingest_monthly_job,
    default_status=_SCHEDULE_STATUS,
    description="Nightly ingest of the monthly sources: the month that just closed and the month in progress.",
)
def nightly_monthly(context: dg.ScheduleEvaluationContext):
    requests = nightly_monthly_run_requests(context.scheduled_execution_time)
    return requests or dg.SkipReason("no monthly partition to refresh yet")


# ------------------------------------------------------------------------------------ landing zone


def landing_run_requests(
    changed: dict[str, list[str]], known_keys: set[dg.AssetKey] | None = None
) -> list[dg.RunRequest]:
    """One ingest run per source over the range of its changed partitions (re-ingesting an
    unchanged file in between is a no-op for the loader)."""
    requests = []
    for source, keys in changed.items():
        kind = auto.period_kind_of(source)
        asset_key = dg.AssetKey(["raw", source])
        if kind is None or (known_keys is not None and asset_key not in known_keys):
            continue
        digest = _digest([source, *keys])
        requests.append(
            _range_request(
                keys=keys,
                run_key=f"landing-{source}-{digest}",
                job_name=INGEST_JOB_NAMES[kind],
                asset_selection=[asset_key],
                tags={TRIGGER_TAG: "landing", "jd/source": source, "jd/partitions": str(len(keys))},
            )
        )
    return requests


def _digest(parts: Iterable[str]) -> str:
    import hashlib

    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


def evaluate_landing_zone(
    cursor: str | None, now: datetime, known_keys: set[dg.AssetKey] | None = None, scanner=None
) -> tuple[list[dg.RunRequest], str]:
    """(run requests, new cursor) for the landing zone as it is now."""
    scan = scanner or auto.default_scanner()
    valid = {kind: _valid_keys(kind, now) for kind in INGEST_JOB_NAMES}

    def key_for(kind: str, period: str) -> str | None:
        key = auto.partition_key_for_period(kind, period, _FORMATS[kind])
        return key if key in valid[kind] else None

    items = list(scan(get_settings().landing_dir))
    current = auto.landing_fingerprints(items, key_for)
    previous = auto.decode_cursor(cursor)
    if not previous and cursor is None:
        # Cold start (new sensor, new instance): the manifest already knows what was loaded.
        previous = _seed_from_manifest(items, current, key_for)
    changed = auto.changed_partitions(previous, current)
    # The fingerprints of every current file go in the cursor, and a request carries the digest of
    # what changed in its run key: a changed file is requested once.
    requests = landing_run_requests(changed, known_keys)
    return requests, auto.encode_cursor(current)


def _seed_from_manifest(items: list, current: dict[str, str], key_for) -> dict[str, str]:
    """Fingerprints of the partitions whose every file is already in `ops.load_manifest` (same
    path and size+mtime), so a cold start does not re-request what is loaded. Any problem (no
    warehouse, locked by a writer, no ingest module): seed nothing, i.e. request everything."""
    try:
        import duckdb

        from jd_pipeline.ingest.manifest import unseen_files

        path = get_settings().warehouse_db
        if not path.exists():
            return {}
        with duckdb.connect(str(path), read_only=True) as conn:
            unseen = unseen_files(conn, items)
    except Exception:  # noqa: BLE001 - best effort only
        return {}
    dirty = set()
    for item in unseen:
        kind = auto.period_kind_of(getattr(item, "source", "") or "")
        key = key_for(kind, str(item.period)) if kind else None
        if key:
            dirty.add(f"{item.source}|{key}")
    return {ident: digest for ident, digest in current.items() if ident not in dirty}


@dg.sensor(
    name="landing_zone_sensor",
    jobs=list(ingest_jobs.values()),
    minimum_interval_seconds=LANDING_SENSOR_INTERVAL_S,
    default_status=_SENSOR_STATUS,
    description=(
        "Watches $JD_DATA_DIR/landing: for every (source, partition) whose files are new or changed "
        "since the last look, requests one ingest run per source over the changed range. Files "
        "already seen request nothing (cursor of file fingerprints)."
    ),
)
def landing_zone_sensor(context: dg.SensorEvaluationContext):
    requests, cursor = evaluate_landing_zone(
        context.cursor, datetime.now(ZoneInfo(BUSINESS_TIMEZONE)), _existing_asset_keys(context)
    )
    context.update_cursor(cursor)
    if not requests:
        return dg.SkipReason("no new or changed files in the landing zone")
    return requests


# ------------------------------------------------------------------------------------ downstream


def _active_ingest_runs(instance: dg.DagsterInstance) -> int:
    count = 0
    for job_name in INGEST_JOB_NAMES.values():
        count += len(
            instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=_ACTIVE_STATUSES), limit=1)
        )
    return count


def _new_ingest_materializations(
    instance: dg.DagsterInstance, after_storage_id: int
) -> tuple[list[tuple[str, str]], int]:
    """((period kind, partition key) materialized by non-CLI runs since the cursor, max storage id)."""
    found: list[tuple[str, str]] = []
    newest = after_storage_id
    for kind, sources in auto.sources_by_period_kind().items():
        for source in sources:
            result = instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=dg.AssetKey(["raw", source]), after_storage_id=after_storage_id
                ),
                limit=MAX_RECORDS_PER_ASSET,
                ascending=True,
            )
            for record in result.records:
                newest = max(newest, record.storage_id)
                job_name = record.event_log_entry.job_name or ""
                if job_name.startswith("cli_"):
                    continue  # `jd-pipeline run` rebuilds downstream itself
                if record.partition_key:
                    found.append((kind, record.partition_key))
    return found, newest


def evaluate_warehouse_refresh(
    instance: dg.DagsterInstance, cursor: str | None, now: datetime
) -> tuple[list[dg.RunRequest] | dg.SkipReason, str | None]:
    """(requests or skip, new cursor). The cursor is the newest ingest materialization handled.

    Requests `warehouse_daily_job` over the days to rebuild, then `warehouse_monthly_job` over
    the months those days fall in."""
    after = int(cursor) if cursor and cursor.isdigit() else 0
    active = _active_ingest_runs(instance)
    if active:
        return dg.SkipReason(f"waiting: {active}+ ingest run(s) queued or in progress"), cursor
    ingested, newest = _new_ingest_materializations(instance, after)
    if newest == after:
        return dg.SkipReason("no new ingest materializations"), cursor
    start = date.fromisoformat(get_settings().partitions_start)
    window = auto.downstream_window(ingested, _FORMATS, start, _business_yesterday(now))
    if window is None:
        return dg.SkipReason("new ingest materializations fall outside the partitions"), str(newest)
    tags = {TRIGGER_TAG: "refresh", "jd/ingest_partitions": str(len(ingested))}
    requests = [
        _range_request(
            keys=[window[0].isoformat(), window[1].isoformat()],
            run_key=f"refresh-{newest}",
            job_name=WAREHOUSE_JOB_NAME,
            tags=tags,
        )
    ]
    valid_months = _valid_keys("monthly", now)
    months = [
        m.strftime(_FORMATS["monthly"])
        for m in auto.months_between(window[0], window[1])
        if m.strftime(_FORMATS["monthly"]) in valid_months
    ]
    if months:
        requests.append(
            _range_request(
                keys=months,
                run_key=f"refresh-monthly-{newest}",
                job_name=WAREHOUSE_MONTHLY_JOB_NAME,
                tags=tags,
            )
        )
    return requests, str(newest)


@dg.sensor(
    name="warehouse_refresh_sensor",
    jobs=[warehouse_daily_job, warehouse_monthly_job],
    minimum_interval_seconds=REFRESH_SENSOR_INTERVAL_S,
    default_status=_SENSOR_STATUS,
    description=(
        "After ingest (nightly or late deliveries): when no ingest run is queued or running, "
        "rebuilds the marts, checks, KPIs, reports and publishes, over the days that were ingested."
    ),
)
def warehouse_refresh_sensor(context: dg.SensorEvaluationContext):
    result, cursor = evaluate_warehouse_refresh(
        context.instance, context.cursor, datetime.now(ZoneInfo(BUSINESS_TIMEZONE))
    )
    if cursor is not None and cursor != context.cursor:
        context.update_cursor(cursor)
    return result


ALL_JOBS = [*ingest_jobs.values(), warehouse_daily_job, warehouse_monthly_job, dbt_whole_table_tests_job]

defs = dg.Definitions.merge(
    dg.Definitions(
        jobs=ALL_JOBS,
        schedules=[nightly, nightly_monthly, weekly_whole_table_tests],
        sensors=[landing_zone_sensor, warehouse_refresh_sensor],
    ),
    build_freshness_defs(_SENSOR_STATUS),  # freshness checks on the marts and the publish
)
