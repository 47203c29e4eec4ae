"""Partition definitions shared by every domain (period kinds of sources.md)."""

from __future__ import annotations

import dagster as dg

from jd_pipeline.config import BUSINESS_TIMEZONE, get_settings

_START = get_settings().partitions_start

# Dagster's run tags of a single-run range of partitions (a run over [start, end] of a job).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# Daily partitions end at yesterday (a day is complete when the nightly run starts). Monthly,
# quarterly and yearly partitions include the period in progress (`end_offset=1`): the month's
# ledger is re-delivered until it closes, and this year's plan and budget arrive in January.
daily_partitions = dg.DailyPartitionsDefinition(start_date=_START, timezone=BUSINESS_TIMEZONE)
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=_START[:7] + "-01", timezone=BUSINESS_TIMEZONE, end_offset=1
)
# Quarter keys are the quarter's first month (`2026-04` = 2026Q2); `quarter_label` converts.
quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",
    start=_START[:4] + "-01",
    fmt="%Y-%m",
    timezone=BUSINESS_TIMEZONE,
    end_offset=1,
)
yearly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=_START[:4], fmt="%Y", timezone=BUSINESS_TIMEZONE, end_offset=1
)

PARTITIONS_BY_PERIOD_KIND: dict[str, dg.TimeWindowPartitionsDefinition] = {
    "daily": daily_partitions,
    "monthly": monthly_partitions,
    "quarterly": quarterly_partitions,
    "yearly": yearly_partitions,
}
