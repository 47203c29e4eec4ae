"""Freshness: yesterday's data in the marts by 09:00 Asia/Shanghai, and a publish after the nightly run.

- Daily-partitioned marts (`marts/*` of the dbt assets): a time-partition freshness check; from
  09:00 each day it fails (WARN) until yesterday's partition has been materialized.
- `publish/serving_warehouse`: a last-update check; from 09:00 it fails (WARN) unless a publish
  happened after 02:00 that day (the nightly run).
- `freshness_checks_sensor` evaluates them; failures show on the assets in the UI.

Dagster 1.13 also offers `FreshnessPolicy.cron(...)` attached to asset specs; the checks are used
here because the mart assets belong to another module and checks can be added from outside.
"""

import warnings
from datetime import timedelta

import dagster as dg

from jd_pipeline.config import BUSINESS_TIMEZONE
from jd_pipeline.defs.publish import PUBLISH_ASSET_KEY, dbt_mart_keys

MARTS_DEADLINE_CRON = "0 9 * * *"  # 09:00 Asia/Shanghai
PUBLISH_LOWER_BOUND = timedelta(hours=7)  # published after 02:00 (the nightly schedule)
FRESHNESS_SENSOR_NAME = "freshness_checks_sensor"


def daily_mart_keys() -> list[dg.AssetKey]:
    """Keys `marts/*` of the time-partitioned dbt assets (empty if the transform module is absent)."""
    return dbt_mart_keys(time_partitioned_only=True)


def build_freshness_checks(mart_keys: list[dg.AssetKey] | None = None) -> list[dg.AssetChecksDefinition]:
    mart_keys = daily_mart_keys() if mart_keys is None else mart_keys
    checks: list[dg.AssetChecksDefinition] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "superseded" notices: see the module docstring
        if mart_keys:
            checks += dg.build_time_partition_freshness_checks(
                assets=mart_keys,
                deadline_cron=MARTS_DEADLINE_CRON,
                timezone=BUSINESS_TIMEZONE,
                severity=dg.AssetCheckSeverity.WARN,
            )
        checks += dg.build_last_update_freshness_checks(
            assets=[PUBLISH_ASSET_KEY],
            lower_bound_delta=PUBLISH_LOWER_BOUND,
            deadline_cron=MARTS_DEADLINE_CRON,
            timezone=BUSINESS_TIMEZONE,
            severity=dg.AssetCheckSeverity.WARN,
        )
    return checks


def build_freshness_defs(default_status: dg.DefaultSensorStatus) -> dg.Definitions:
    checks = build_freshness_checks()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name=FRESHNESS_SENSOR_NAME,
            minimum_interval_seconds=600,
            default_status=default_status,
        )
    return dg.Definitions(asset_checks=checks, sensors=[sensor])
