"""The weekly rebuild check: `jd-pipeline verify` as a Dagster job on a schedule.

`weekly_verify` (Sundays 07:00 Asia/Shanghai, after `weekly_whole_table_tests`) rebuilds every dbt
mart from raw into a scratch warehouse and compares it with the working one, table by table
(jd_pipeline/runtime/verify.py). A difference fails the run, naming the tables and their first
differing keys: the incremental nightly runs no longer equal a rebuild.
"""

import dagster as dg

from jd_pipeline.config import BUSINESS_TIMEZONE, get_settings
from jd_pipeline.defs.resources import WAREHOUSE_POOL
from jd_pipeline.runtime import automation as auto

WEEKLY_VERIFY_CRON = "0 7 * * 0"


@dg.op(pool=WAREHOUSE_POOL, description="Rebuild the marts from raw in a scratch warehouse and compare.")
def verify_rebuild_equality(context: dg.OpExecutionContext) -> dg.Output[int]:
    from jd_pipeline.runtime.verify import verify

    result = verify(get_settings())
    context.log.info(result.render())
    if not result.equal:
        raise dg.Failure(
            description=result.render(),
            metadata={"tables_differing": [d.table for d in result.differences]},
        )
    return dg.Output(
        result.tables_compared,
        metadata={
            "tables_compared": result.tables_compared,
            "seconds": dg.MetadataValue.float(result.seconds),
        },
    )


@dg.job(
    description="jd-pipeline verify: the working marts equal a rebuild from raw (table by table).",
    tags={"jd/stage": "warehouse"},
)
def weekly_verify_job() -> None:
    verify_rebuild_equality()


weekly_verify = dg.ScheduleDefinition(
    name="weekly_verify",
    job=weekly_verify_job,
    cron_schedule=WEEKLY_VERIFY_CRON,
    execution_timezone=BUSINESS_TIMEZONE,
    default_status=(
        dg.DefaultScheduleStatus.RUNNING
        if auto.env_flag("JD_AUTOMATION_ON")
        else dg.DefaultScheduleStatus.STOPPED
    ),
    description="Sundays 07:00: rebuild the marts from raw and compare with the working warehouse.",
)

defs = dg.Definitions(jobs=[weekly_verify_job], schedules=[weekly_verify])
