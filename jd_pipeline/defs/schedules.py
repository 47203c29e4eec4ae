"""The schedules (Asia/Shanghai; default 02:00, `JD_NIGHTLY_CRON`).

1. `nightly` (-> `ingest_daily_job`): yesterday's partition of every daily source, plus the
   15-day `jd_ads` restatement window (the 14 days before yesterday) as one single-run range.
2. `nightly_monthly` (same cron, -> `ingest_monthly_job`): the month that just closed and the month
   in progress (partition keys that exist in the monthly partitions definition), as one range run.
   `warehouse_refresh_sensor` (sensors.py) then rebuilds and publishes what they ingested.
3. `weekly_whole_table_tests` (Sunday 06:00, -> `dbt_whole_table_tests_job`): rebuilds yesterday with
   every dbt test reading whole tables instead of the window (a key duplicated across days, a row
   changed outside its window). Nightly runs test only the rows they rebuilt; a failure here is
   recorded in ops.dq_results and closes the quality gate like any blocking check.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

import dagster as dg

from jd_pipeline.config import BUSINESS_TIMEZONE, get_settings
from jd_pipeline.defs.ingest import raw_asset_key
from jd_pipeline.defs.jobs import (
    PARTITION_FORMATS,
    TRIGGER_TAG,
    automation_status,
    business_yesterday,
    dbt_whole_table_tests_job,
    ingest_daily_job,
    ingest_monthly_job,
    range_request,
    valid_keys,
)
from jd_pipeline.defs.transform import DBT_STEP_NAMES
from jd_pipeline.runtime import automation as auto

WEEKLY_WHOLE_TABLE_TESTS_CRON = "0 6 * * 0"  # Sundays 06:00 (business time), after the nightly run


def nightly_run_requests(scheduled_time: datetime) -> list[dg.RunRequest]:
    """Run requests of the `nightly` schedule for a tick at `scheduled_time`."""
    plan = auto.nightly_plan(scheduled_time, get_settings().partitions_start)
    valid = valid_keys("daily", scheduled_time)
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
            range_request(
                keys=ads_days,
                run_key=f"nightly-ads-restatement-{y}",
                asset_selection=[raw_asset_key(auto.ADS_SOURCE)],
                tags={**tags, "jd/ads_restatement": "1"},
            )
        )
    return requests


def nightly_monthly_run_requests(scheduled_time: datetime) -> list[dg.RunRequest]:
    plan = auto.nightly_plan(scheduled_time, get_settings().partitions_start)
    fmt = PARTITION_FORMATS["monthly"]
    keys = [k for k in (m.strftime(fmt) for m in plan.months) if k in valid_keys("monthly", scheduled_time)]
    if not keys:
        return []
    return [
        range_request(
            keys=keys,
            run_key=f"nightly-monthly-{plan.yesterday.isoformat()}",
            tags={TRIGGER_TAG: "nightly", "jd/nightly_date": plan.yesterday.isoformat()},
        )
    ]


def weekly_whole_table_tests_request(
    scheduled_time: datetime, step_names: Iterable[str] = DBT_STEP_NAMES
) -> dg.RunRequest | dg.SkipReason:
    """The weekly run: yesterday's dbt build with `whole_table_tests` set on the dbt steps."""
    yesterday = business_yesterday(scheduled_time).isoformat()
    if yesterday not in valid_keys("daily", scheduled_time):
        return dg.SkipReason("yesterday is before JD_PARTITIONS_START")
    return dg.RunRequest(
        run_key=f"weekly-whole-table-tests-{yesterday}",
        partition_key=yesterday,
        run_config={"ops": {name: {"config": {"whole_table_tests": True}} for name in step_names}},
        tags={TRIGGER_TAG: "weekly_whole_table_tests"},
    )


_SCHEDULE_STATUS, _ = automation_status()


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


defs = dg.Definitions(schedules=[nightly, nightly_monthly, weekly_whole_table_tests])
