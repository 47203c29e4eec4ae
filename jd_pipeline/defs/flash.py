"""The daily flash (日报, `reports/daily_flash`): for the last day of the run's window, one HTML +
xlsx per brand under `$JD_DATA_DIR/reports/<brand>/<YYYY-MM-DD>/daily_flash.*` and a text card
with its link queued for the group robots (`alert_delivery_sensor` sends it; one card per brand
and day, never twice). Behind the quality gate like every report; a closed gate is itself an
alert (`check_failed`)."""

import time
from datetime import date, timedelta

import dagster as dg

from jd_pipeline.alerts.outbox import enqueue, open_outbox
from jd_pipeline.config import get_settings
from jd_pipeline.defs.alerts import ALERTS_KEY
from jd_pipeline.defs.exposures import exposure
from jd_pipeline.defs.partitions import daily_partitions
from jd_pipeline.defs.quality import GATE_KEY, require_gate_open
from jd_pipeline.defs.reports import report_key
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.reporting.build import render
from jd_pipeline.reporting.flash import build_flash
from jd_pipeline.reporting.output_files import publish_files

FLASH_KEY = report_key("daily_flash")


def flash_brands(conn, day: date) -> list[str]:
    """Brands with sales in the week up to the day (a brand with no sales yesterday still gets its flash)."""
    rows = conn.execute(
        "select distinct brand from marts.fct_sales_daily where date_day between ? and ? order by 1",
        [day - timedelta(days=6), day],
    ).fetchall()
    return [r[0] for r in rows]


@dg.asset(
    key=FLASH_KEY,
    group_name="reports",
    description=exposure("daily_flash").description,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[GATE_KEY, ALERTS_KEY, *exposure("daily_flash").upstream],
    pool=WAREHOUSE_POOL,
    kinds={"html", "excel", "duckdb"},
)
def daily_flash(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    require_gate_open(context, warehouse)
    day = (context.partition_time_window.end - timedelta(days=1)).date()
    root = get_settings().reports_dir
    files: dict = {}
    cards = []
    with warehouse.get_connection() as conn:
        for brand in flash_brands(conn, day):
            started = time.perf_counter()
            report, card = build_flash(conn, brand, day, root)
            files.update(render(report, root, started).files)
            cards.append(card)
    written = publish_files(files)
    with open_outbox() as box:
        queued = sum(enqueue(box, c.dedupe_key, "flash", c.payload()) for c in cards)
    html = sorted(p for p in written if p.suffix == ".html")
    return dg.MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "reports": len(html),
            "cards_queued": queued,
            "dagster/row_count": len(html),
            "files": dg.MetadataValue.md(
                "\n".join(f"- [{p.parent.parent.name}]({p.resolve().as_uri()})" for p in html)
            ),
            "cards": dg.MetadataValue.md(
                "\n\n".join(f"**{c.title}**  \n" + "  \n".join(c.lines) for c in cards)
            ),
        }
    )


defs = dg.Definitions(assets=[daily_flash])
