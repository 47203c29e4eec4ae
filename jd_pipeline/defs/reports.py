"""Reports (group `reports`): one asset per report kind, monthly partitions, behind the quality gate.

Each run renders every report of its months in memory first and renames the files into
`$JD_DATA_DIR/reports/<brand>/<period>/` only when all rendered (`jd_pipeline.reporting.output_files`):
when the gate is closed or anything fails, the previous reports stay untouched. Numbers come from
the marts (read-only connection); builders are in `jd_pipeline.reporting`.
"""

import time
from datetime import timedelta
from typing import Any

import dagster as dg

from jd_pipeline.config import get_settings
from jd_pipeline.defs.exposures import exposure
from jd_pipeline.defs.partitions import monthly_partitions
from jd_pipeline.defs.quality import GATE_KEY, require_gate_open
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.reporting.build import BuiltReport, build_kind, months_of_run, publish

# The report kinds `jd_pipeline.reporting.build_kind` renders; what each reads (and its description)
# is its dbt exposure of the same name (dbt_project/models/exposures.yml).
REPORT_KINDS = ("monthly_business_review", "campaign_recap", "opex", "agency_scorecard", "rolling_plan")


def report_key(kind: str) -> dg.AssetKey:
    """`reports/<kind>`: the asset of a report kind (the monthly ones here, `daily_flash` in flash.py)."""
    return dg.AssetKey(["reports", kind])


def _months(context: dg.AssetExecutionContext) -> list[str]:
    tw = context.partition_time_window
    months, current = [], tw.start.date()
    while current < tw.end.date():
        months.append(current.strftime("%Y-%m"))
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _metadata(built: list[BuiltReport], seconds: float) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "reports": len(built),
        "build_seconds": round(seconds, 2),
        "dagster/row_count": len(built),
    }
    if not built:
        return meta
    latest = max(built, key=lambda b: (b.report.period, b.report.brand))
    meta["latest_html"] = dg.MetadataValue.path(str(latest.html_path))
    meta["latest_xlsx"] = dg.MetadataValue.path(str(latest.xlsx_path))
    meta["latest_pdf"] = dg.MetadataValue.path(str(latest.pdf_path))
    meta["latest_url"] = dg.MetadataValue.url(latest.html_path.resolve().as_uri())
    meta["files"] = dg.MetadataValue.md(
        "\n".join(
            f"- `{b.report.brand}` {b.report.period}: [{b.html_path.name}]({b.html_path.resolve().as_uri()}) · "
            f"`{b.xlsx_path.name}` · `{b.pdf_path.name}` ({b.seconds:.2f}s)"
            for b in sorted(built, key=lambda b: (b.report.brand, b.report.period, b.report.file_stem))[-40:]
        )
    )
    meta["key_numbers"] = dg.MetadataValue.json(
        {
            f"{b.report.brand}/{b.report.period}/{b.report.file_stem}": b.report.key_values()
            for b in built[-12:]
        }
    )
    return meta


def build_report_asset(kind: str) -> dg.AssetsDefinition:
    reads = exposure(kind)

    @dg.asset(
        key=report_key(kind),
        group_name="reports",
        description=reads.description,
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[GATE_KEY, *reads.upstream],
        pool=WAREHOUSE_POOL,
        kinds={"html", "excel", "pdf", "duckdb"},
    )
    def _report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        require_gate_open(context, warehouse)
        started = time.perf_counter()
        root = get_settings().reports_dir
        built: list[BuiltReport] = []
        # read-write: the data-quality summary may create the empty ops tables on a fresh warehouse
        with warehouse.get_connection() as conn:
            for month, period_close in months_of_run(_months(context)):
                built.extend(build_kind(conn, kind, month, root, period_close))
        publish(built)
        seconds = time.perf_counter() - started
        context.log.info(f"{kind}: {len(built)} reports in {seconds:.1f}s under {root}")
        return dg.MaterializeResult(metadata=_metadata(built, seconds))

    return _report


report_assets = [build_report_asset(kind) for kind in REPORT_KINDS]

defs = dg.Definitions(assets=report_assets)
