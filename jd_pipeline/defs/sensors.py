"""The sensors: landing zone -> ingest runs, ingest -> warehouse refresh, and the freshness checks.

- `landing_zone_sensor` (-> `ingest_<kind>_job`): one ingest run per source over the partitions
  whose files in $JD_DATA_DIR/landing are new or changed (late deliveries included).
- `warehouse_refresh_sensor` (-> `warehouse_daily_job`, `warehouse_monthly_job`): once no ingest run
  is queued or running, rebuilds staging, marts, quality, kpi, reports and publish over the
  business days whose ingest partitions were materialized since its cursor (nightly: the 15-day
  ads window; monthly: the two months), then the months those days fall in.
"""

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from jd_pipeline.config import BUSINESS_TIMEZONE, get_settings
from jd_pipeline.defs.freshness import build_freshness_defs
from jd_pipeline.defs.ingest import raw_asset_key
from jd_pipeline.defs.jobs import (
    INGEST_JOB_NAMES,
    PARTITION_FORMATS,
    TRIGGER_TAG,
    WAREHOUSE_JOB_NAME,
    WAREHOUSE_MONTHLY_JOB_NAME,
    automation_status,
    business_yesterday,
    ingest_jobs,
    range_request,
    valid_keys,
    warehouse_daily_job,
    warehouse_monthly_job,
)
from jd_pipeline.periods import months_between
from jd_pipeline.runtime import automation as auto

LANDING_SENSOR_INTERVAL_S = 60
REFRESH_SENSOR_INTERVAL_S = 60
MAX_RECORDS_PER_ASSET = 5000
_ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
_, _SENSOR_STATUS = automation_status()


def _existing_asset_keys(context: dg.SensorEvaluationContext) -> set[dg.AssetKey] | None:
    try:
        repo = context.repository_def
    except Exception:  # noqa: BLE001 - not available in some test contexts
        return None
    if repo is None:
        return None
    return set(repo.asset_graph.materializable_asset_keys)


# ------------------------------------------------------------------------------------ landing zone


def landing_run_requests(
    changed: dict[str, list[str]], known_keys: set[dg.AssetKey] | None = None
) -> list[dg.RunRequest]:
    """One ingest run per source over the range of its changed partitions (re-ingesting an
    unchanged file in between is a no-op for the loader)."""
    requests = []
    for source, keys in changed.items():
        kind = auto.period_kind_of(source)
        asset_key = raw_asset_key(source)
        if kind is None or (known_keys is not None and asset_key not in known_keys):
            continue
        digest = _digest([source, *keys])
        requests.append(
            range_request(
                keys=keys,
                run_key=f"landing-{source}-{digest}",
                job_name=INGEST_JOB_NAMES[kind],
                asset_selection=[asset_key],
                tags={TRIGGER_TAG: "landing", "jd/source": source, "jd/partitions": str(len(keys))},
            )
        )
    return requests


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


def evaluate_landing_zone(
    cursor: str | None, now: datetime, known_keys: set[dg.AssetKey] | None = None, scanner=None
) -> tuple[list[dg.RunRequest], str]:
    """(run requests, new cursor) for the landing zone as it is now."""
    scan = scanner or auto.default_scanner()
    valid = {kind: valid_keys(kind, now) for kind in INGEST_JOB_NAMES}

    def key_for(kind: str, period: str) -> str | None:
        key = auto.partition_key_for_period(kind, period, PARTITION_FORMATS[kind])
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
                dg.AssetRecordsFilter(asset_key=raw_asset_key(source), after_storage_id=after_storage_id),
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
    window = auto.downstream_window(ingested, PARTITION_FORMATS, start, business_yesterday(now))
    if window is None:
        return dg.SkipReason("new ingest materializations fall outside the partitions"), str(newest)
    tags = {TRIGGER_TAG: "refresh", "jd/ingest_partitions": str(len(ingested))}
    requests = [
        range_request(
            keys=[window[0].isoformat(), window[1].isoformat()],
            run_key=f"refresh-{newest}",
            job_name=WAREHOUSE_JOB_NAME,
            tags=tags,
        )
    ]
    valid_months = valid_keys("monthly", now)
    months = [
        m.strftime(PARTITION_FORMATS["monthly"])
        for m in months_between(window[0], window[1])
        if m.strftime(PARTITION_FORMATS["monthly"]) in valid_months
    ]
    if months:
        requests.append(
            range_request(
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


defs = dg.Definitions.merge(
    dg.Definitions(sensors=[landing_zone_sensor, warehouse_refresh_sensor]),
    build_freshness_defs(_SENSOR_STATUS),  # freshness checks on the marts and the publish
)
