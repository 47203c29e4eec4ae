"""Alerts (group `alerts`): `marts/fct_alerts` evaluates the rules of `jd_pipeline/alerts/rules.yaml`
for the last day of its window, and `alert_delivery_sensor` delivers new and resolved alerts (and
the daily flash cards) to the WeCom / DingTalk / Feishu group robots configured in the environment.

The asset reads the marts but not the quality gate: an alert must also go out when checks fail
(the `check_failed` rule reads `ops.dq_results`). When a blocking dbt test skips it in the same run,
`alerts_after_failure_sensor` runs it alone once the failed run is over.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from jd_pipeline.alerts.deliver import deliver_pending
from jd_pipeline.alerts.engine import run_alerts
from jd_pipeline.alerts.outbox import enqueue_alert_events, last_alert_event_id, open_outbox
from jd_pipeline.alerts.store import ALERTS_TABLE, events_after
from jd_pipeline.alerts.webhooks import channels_from_env
from jd_pipeline.defs.partitions import daily_partitions
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.defs.transform import dbt_model_key
from jd_pipeline.runtime.automation import env_flag

ALERTS_KEY = dg.AssetKey(["marts", "fct_alerts"])
ALERT_INPUTS = [
    *(
        dbt_model_key(name)
        for name in (
            "fct_sales_daily",
            "fct_plan_vs_actual_monthly",
            "fct_ads_daily",
            "fct_inventory_daily",
            "fct_action_plan_status",
        )
    ),
    dbt_model_key("int_vc_purchase_orders__latest"),
]
DELIVERY_SENSOR_NAME = "alert_delivery_sensor"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def sync_outbox(conn, path=None) -> int:
    """Copy the alert events the outbox does not have yet (idempotent: unique per event id)."""
    with open_outbox(path) as box:
        return enqueue_alert_events(box, events_after(conn, last_alert_event_id(box)))


@dg.asset(
    key=ALERTS_KEY,
    group_name="alerts",
    description="Alerts: one row per alert_key (rule, brand, store, severity, open/resolved, first/last seen, "
    "figures, source load ids) from the rules in jd_pipeline/alerts/rules.yaml, evaluated for the last day "
    "of the window; every open/resolve is also an ops.alert_events row queued for the webhooks.",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=ALERT_INPUTS,
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
)
def fct_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    as_of = (context.partition_time_window.end - timedelta(days=1)).date()
    with warehouse.get_connection() as conn:
        evaluation = run_alerts(conn, as_of, utc_now())
        queued = sync_outbox(conn)
        counts = conn.execute(f"select status, count(*) from {ALERTS_TABLE} group by 1").fetchall()
    if evaluation.merge is None:
        context.log.info(f"{as_of} is older than the last evaluated day: alert state left as it is")
    by_rule = Counter(c.rule for c in evaluation.candidates)
    merge = evaluation.merge
    return dg.MaterializeResult(
        metadata={
            "table": ALERTS_TABLE,
            "as_of_day": as_of.isoformat(),
            "firing_by_rule": dg.MetadataValue.json(dict(sorted(by_rule.items()))),
            "rules_skipped": ", ".join(sorted(evaluation.skipped)) or "none",
            "opened": len(merge.opened) if merge else 0,
            "resolved": len(merge.resolved) if merge else 0,
            "queued_for_delivery": queued,
            "dagster/row_count": sum(n for _, n in counts),
            "by_status": dg.MetadataValue.json({s: n for s, n in counts}),
        }
    )


alerts_job = dg.define_asset_job("alerts_job", selection=dg.AssetSelection.assets(ALERTS_KEY))


def _automation_status() -> dg.DefaultSensorStatus:
    """Like the other sensors: stopped unless JD_AUTOMATION_ON=1 (switch them on in the UI)."""
    return dg.DefaultSensorStatus.RUNNING if env_flag("JD_AUTOMATION_ON") else dg.DefaultSensorStatus.STOPPED


def failed_run_day(tags: dict[str, str], today: date) -> str:
    """The last business day the failed run covered (its partition or range end), else yesterday."""
    for tag in ("dagster/asset_partition_range_end", "dagster/partition"):
        value = tags.get(tag, "")
        try:
            return min(date.fromisoformat(value), today - timedelta(days=1)).isoformat()
        except ValueError:
            continue
    return (today - timedelta(days=1)).isoformat()


@dg.sensor(
    name=DELIVERY_SENSOR_NAME,
    minimum_interval_seconds=60,
    default_status=_automation_status(),
    description="Delivers new/resolved alerts and daily flash cards from the outbox "
    "($JD_DATA_DIR/alerts/outbox.sqlite) to the WeCom/DingTalk/Feishu robots of JD_ALERT_*_URL; "
    "each message is recorded as delivered the moment the platform accepts it (no resend after a restart).",
)
def alert_delivery_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    channels = channels_from_env()
    if not channels:
        return dg.SkipReason("no JD_ALERT_*_URL configured")
    report = deliver_pending(channels)
    for error in report.errors:
        context.log.warning(error)
    return dg.SkipReason(report.summary())


@dg.run_failure_sensor(
    name="alerts_after_failure_sensor",
    monitored_jobs=None,
    request_job=alerts_job,
    default_status=_automation_status(),
    description="After a failed run (a blocking check skipped marts/fct_alerts), evaluates the alerts "
    "alone for yesterday so the failure itself is alerted.",
)
def alerts_after_failure_sensor(context: dg.RunFailureSensorContext):
    if context.dagster_run.job_name == "alerts_job":
        return None  # never loop on our own failures
    today = (datetime.now(UTC) + timedelta(hours=8)).date()  # Asia/Shanghai
    key = failed_run_day(dict(context.dagster_run.tags), today)
    return dg.RunRequest(run_key=f"alerts_after_{context.dagster_run.run_id}", partition_key=key)


defs = dg.Definitions(
    assets=[fct_alerts], jobs=[alerts_job], sensors=[alert_delivery_sensor, alerts_after_failure_sensor]
)
