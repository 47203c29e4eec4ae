"""Reports (group `reports`): one asset per report kind, monthly partitions, behind the quality gate.

Each run renders every report of its months in memory first and renames the files into
`$JD_DATA_DIR/reports/<brand>/<period>/` only when all rendered (`jd_pipeline.reporting.publish`):
when the gate is closed or anything fails, the previous reports stay untouched. Numbers come from
the marts (read-only connection); builders are in `jd_pipeline.reporting`.
"""

import time
from datetime import timedelta

import dagster as dg

from jd_pipeline.config import get_settings
from jd_pipeline.defs.partitions import monthly_partitions
from jd_pipeline.defs.quality import GATE_KEY, require_gate_open
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.reporting.build import BuiltReport, build_kind, months_of_run, publish


def _mart(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


REPORTS: dict[str, tuple[str, list[str]]] = {
    "monthly_business_review": (
        (
            "Monthly business review (HTML with charts + the same tables as xlsx): gmv vs plan and budget by store "
            "and category, POP vs 自营, free vs paid traffic, ads by product line with ROI, top/bottom SKUs, customers "
            "(new vs returning, repeat rate, cohort retention), regional budget vs actual, OPEX vs budget, P&L "
            "waterfall, the month as forecast vs plan vs actual, forecast backtest accuracy by category and weak "
            "series, data quality."
        ),
        ["fct_plan_vs_actual_monthly", "fct_sales_daily", "fct_traffic_daily", "fct_ads_daily", "fct_opex_monthly",
         "fct_ecom_pnl_monthly", "dim_sku", "dim_cost_type", "fct_rolling_plan_3m", "fct_demand_forecast",
         "fct_customer_monthly", "fct_customer_cohort", "fct_region_budget_vs_actual_monthly"],
    ),
    "campaign_recap": (
        (
            "Campaign recap for each tp_campaign_plan campaign ending in the month: warm-up and main days vs target "
            "and last year's same campaign, by product and operation (traffic, ads), platform resources cost and return."
        ),
        ["fct_campaign_recap", "fct_sales_daily", "fct_traffic_daily", "fct_ads_daily", "dim_sku"],
    ),
    "opex": (
        (
            "OPEX report for the month, the quarter to date and the year to date vs budget (first version) and the "
            "current plan, by cost type and cost centre."
        ),
        ["fct_opex_monthly", "dim_cost_type"],
    ),
    "agency_scorecard": (
        (
            "TP agency KPI scorecard report for the quarter and the year (measured KPIs, self-reported flagged, "
            "capped attainment, weighted scores) with the 30-60-90 action plan status."
        ),
        ["fct_agency_kpi_scorecard", "fct_action_plan_status"],
    ),
    "rolling_plan": (
        (
            "Rolling 3-month plan: the current plan beside the demand forecast (80% band) for the next 3 months by "
            "store and category, last month as forecast vs plan vs actual, backtest accuracy by category and the "
            "weak series."
        ),
        ["fct_rolling_plan_3m", "fct_demand_forecast", "fct_plan_vs_actual_monthly", "dim_sku"],
    ),
}


def _months(context: dg.AssetExecutionContext) -> list[str]:
    tw = context.partition_time_window
    months, current = [], tw.start.date()
    while current < tw.end.date():
        months.append(current.strftime("%Y-%m"))
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _metadata(built: list[BuiltReport], seconds: float) -> dict[str, object]:
    meta: dict[str, object] = {
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
    meta["files"] = dg.MetadataValue.md("\n".join(
        f"- `{b.report.brand}` {b.report.period}: [{b.html_path.name}]({b.html_path.resolve().as_uri()}) · "
        f"`{b.xlsx_path.name}` · `{b.pdf_path.name}` ({b.seconds:.2f}s)"
        for b in sorted(built, key=lambda b: (b.report.brand, b.report.period, b.report.file_stem))[-40:]
    ))
    meta["key_numbers"] = dg.MetadataValue.json(
        {f"{b.report.brand}/{b.report.period}/{b.report.file_stem}": b.report.key_values() for b in built[-12:]}
    )
    return meta


def build_report_asset(kind: str) -> dg.AssetsDefinition:
    description, marts = REPORTS[kind]

    @dg.asset(
        key=dg.AssetKey(["reports", kind]),
        group_name="reports",
        description=description,
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[GATE_KEY, *[_mart(m) for m in marts]],
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


report_assets = [build_report_asset(kind) for kind in REPORTS]

defs = dg.Definitions(assets=report_assets)
