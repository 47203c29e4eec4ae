"""Data-quality checks and the gate (group `quality`).

- `gx_<source>` on each ingest asset `raw/<source>`: the source's GX 1.x suite
  (`great_expectations/suites/<source>.json`) on the batch of the partition window; blocking
  (a critical expectation failing stops the downstream assets of the run).
- reconciliation checks (SQL) on the raw assets: `error` ones are blocking, `warn` ones inform.
- `quality/dq_gate`: daily, depends on the marts; fails when the latest result of any blocking
  check covering its window failed (history in `ops.dq_results`, so later runs cannot bypass
  it). KPI and report assets depend on it and call `require_gate_open` first (the dbt KPI models
  through their dbt step, jd_pipeline/defs/transform.py).

Every check writes its result to `ops.dq_results`.
"""

import time
import warnings
from collections.abc import Callable

import dagster as dg

from jd_pipeline.defs.ingest import raw_asset_key
from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND, daily_partitions
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.defs.transform import GATE_KEY, dbt_model_key
from jd_pipeline.quality.gate import GATE_ASSET, failed_blocking_checks, gate_message, latest_results
from jd_pipeline.quality.gx_runner import available_suites, load_suite_spec, run_suite_on_window
from jd_pipeline.quality.reconciliation import ReconSpec, reconciliation_specs
from jd_pipeline.quality.results import CheckOutcome, to_json, write_outcomes
from jd_pipeline.quality.windows import ALL_TIME, Window, window_from_bounds

# The published marts the gate waits for (the dbt assets `marts/<model>`, daily partitioned).
GATED_MART_KEYS = [
    dbt_model_key(name)
    for name in (
        "fct_sales_daily",
        "fct_pop_sales_by_province_daily",
        "fct_sku_funnel_daily",
        "fct_traffic_daily",
        "fct_ads_daily",
        "fct_inventory_daily",
        "fct_sell_in_daily",
    )
]
MAX_METADATA_CHARS = 4000
# Key numbers of `CheckOutcome.details` shown as typed metadata (e.g. the POP gmv gap).
NUMERIC_DETAILS = ("max_gap_pct", "max_share", "rows", "files", "compared", "days_compared", "groups")

CheckBody = Callable[[object, Window], CheckOutcome]


def context_window(context: dg.AssetCheckExecutionContext | dg.AssetExecutionContext) -> Window:
    """The business dates of the run's partition(s); all time when unpartitioned."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return ALL_TIME
    tw = context.partition_time_window
    if context.has_partition_key_range:
        keys = context.partition_key_range
        label = keys.start if keys.start == keys.end else f"{keys.start}...{keys.end}"
    else:
        label = context.partition_key
    return window_from_bounds(tw.start, tw.end, label)


def to_check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.ERROR if outcome.severity == "error" else dg.AssetCheckSeverity.WARN
    details = to_json(outcome.details)
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=severity,
        description=str(outcome.observed_value)[:1000],
        metadata={
            "observed_value": dg.MetadataValue.text(str(outcome.observed_value)),
            "window": f"{outcome.window.start}..{outcome.window.end}",
            "seconds": float(outcome.details.get("seconds", 0.0)),
            "details": dg.MetadataValue.text(details[:MAX_METADATA_CHARS]),
            **{
                k: float(v)
                for k, v in outcome.details.items()
                if k in NUMERIC_DETAILS and isinstance(v, (int, float))
            },
        },
    )


def _crashed(spec: dg.AssetCheckSpec, window: Window, exc: Exception) -> CheckOutcome:
    """A check that could not run counts as failed at its own severity (recorded, so a blocking
    check that crashed closes the gate like one that failed)."""
    return CheckOutcome(
        spec.key.name,
        spec.asset_key.to_user_string(),
        False,
        "error" if spec.blocking else "warn",
        f"check could not run: {type(exc).__name__}: {exc}",
        window,
        "check crashed",
        {"exception": repr(exc)[:2000]},
    )


def run_and_record(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    layer: str,
    body: Callable[..., CheckOutcome],
) -> dg.AssetCheckResult:
    """Run a check body on the context's window, time it, write it to ops.dq_results."""
    window = context_window(context)
    spec = context.check_specs[0]
    started = time.perf_counter()
    with warehouse.get_connection() as conn:
        try:
            outcome = body(conn, window)
        except Exception as exc:  # recorded and reported as a failed blocking check
            context.log.exception(f"{spec.key.name} on {spec.asset_key.to_user_string()} crashed")
            outcome = _crashed(spec, window, exc)
        outcome.details.setdefault("seconds", round(time.perf_counter() - started, 3))
        outcome.details["layer"] = layer
        write_outcomes(conn, [outcome], context.run.run_id)
    log = context.log.info if outcome.passed else context.log.warning
    log(
        f"{outcome.check_name} on {outcome.asset} [{window.start}..{window.end}): "
        f"{'passed' if outcome.passed else outcome.severity.upper()} - {outcome.observed_value}"
    )
    return to_check_result(outcome)


def build_gx_check(source: str) -> dg.AssetChecksDefinition:
    spec = load_suite_spec(source)

    @dg.asset_check(
        asset=raw_asset_key(source),
        name=spec.check_name,
        description=f"GX suite great_expectations/suites/{spec.path.name} ({spec.expectation_count} "
        "expectations) on the batch loaded for the partition",
        blocking=spec.blocking,
        partitions_def=PARTITIONS_BY_PERIOD_KIND[spec.period_kind],
        pool=WAREHOUSE_POOL,
        metadata={"suite": str(spec.path.name), "expectations": spec.expectation_count, "layer": "gx"},
    )
    def _gx_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        return run_and_record(context, warehouse, "gx", lambda conn, w: run_suite_on_window(conn, source, w))

    return _gx_check


def build_recon_check(spec: ReconSpec) -> dg.AssetChecksDefinition:
    kind = load_suite_spec(spec.source).period_kind

    @dg.asset_check(
        asset=raw_asset_key(spec.source),
        name=spec.name,
        description=f"[{spec.severity}] {spec.description}",
        blocking=spec.severity == "error",
        additional_deps=[raw_asset_key(d) for d in spec.deps],
        partitions_def=PARTITIONS_BY_PERIOD_KIND[kind],
        pool=WAREHOUSE_POOL,
        metadata={"layer": "reconciliation", "severity": spec.severity},
    )
    def _recon_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        return run_and_record(context, warehouse, "reconciliation", spec.fn)

    return _recon_check


def _gate_outcome(window: Window, failed: list, warned: int, considered: int) -> CheckOutcome:
    return CheckOutcome(
        check_name="dq_gate",
        asset=GATE_ASSET,
        passed=not failed,
        severity="error",
        observed_value=f"{len(failed)} blocking failures, {warned} warnings, {considered} results considered",
        window=window,
        description="data-quality gate",
        details={"layer": "gate", "failed_checks": [f.describe() for f in failed]},
    )


def evaluate_gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    window = context_window(context)
    with warehouse.get_connection() as conn:
        latest = latest_results(conn, window)
        failed = failed_blocking_checks(conn, window)
        warned = sum(1 for r in latest if not r["passed"] and r["severity"] != "error")
        write_outcomes(conn, [_gate_outcome(window, failed, warned, len(latest))], context.run_id)
    if failed:
        message = gate_message(failed, window)
        context.log.error(message)
        raise dg.Failure(
            description=message,
            metadata={"failed_checks": dg.MetadataValue.json([f.describe() for f in failed])},
        )
    return dg.MaterializeResult(
        metadata={
            "window": f"{window.start}..{window.end}",
            "results_considered": len(latest),
            "warnings": warned,
            "dagster/row_count": len(latest),
        }
    )


@dg.asset(
    key=GATE_KEY,
    group_name="quality",
    description="Data-quality gate: fails when any blocking check (GX suite, reconciliation, dbt test at "
    "error severity) has a failed latest result for the window in ops.dq_results. KPI and report assets "
    "depend on it, so they never materialize from data that failed a blocking check.",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=GATED_MART_KEYS,
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
)
def dq_gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    return evaluate_gate(context, warehouse)


def require_gate_open(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
    """Call first in KPI/report assets: fails the step if the gate is closed for its window,
    even when the run did not include `quality/dq_gate` (a re-run of only downstream assets)."""
    window = context_window(context)
    with warehouse.get_connection() as conn:
        failed = failed_blocking_checks(conn, window)
    if failed:
        raise dg.Failure(
            description=gate_message(failed, window),
            metadata={"failed_checks": dg.MetadataValue.json([f.describe() for f in failed])},
        )


def build_checks() -> list[dg.AssetChecksDefinition]:
    sources = available_suites()
    with warnings.catch_warnings():  # partitioned asset checks are "preview" in Dagster 1.13
        warnings.simplefilter("ignore", dg.PreviewWarning)
        gx_checks = [build_gx_check(s) for s in sources]
        recon_checks = [build_recon_check(s) for s in reconciliation_specs(sources)]
    return gx_checks + recon_checks


defs = dg.Definitions(assets=[dq_gate], asset_checks=build_checks())
