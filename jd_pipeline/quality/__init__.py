"""Data quality: GX suites on raw batches, reconciliations, ops.dq_results and the gate.

Public API:
- `record_asset_check_results(conn, results, run_id, partition)`: dbt test results -> ops.dq_results
- `write_outcomes(conn, outcomes, run_id)`, `ensure_dq_tables(conn)`: the ops.dq_results writer
- `run_suite_on_window(conn, source, window)`: GX suite of `raw.<source>` on the batch of a window
- `reconciliation_specs(sources)`: the cross-source SQL checks
- `failed_blocking_checks(conn, window)`, `gate_message(failed, window)`: the gate
- `dq_summary(conn, brand, window)`: passed/warned/failed and quarantined rows for the reports
- `check_costs(conn, run_ids)`: seconds per check layer (measured by every check)
"""

from jd_pipeline.quality.cost import CheckCost, check_costs, format_costs
from jd_pipeline.quality.gate import (
    DataQualitySummary,
    FailedCheck,
    dq_summary,
    failed_blocking_checks,
    gate_message,
)
from jd_pipeline.quality.gx_runner import available_suites, load_suite_spec, run_suite_on_window
from jd_pipeline.quality.reconciliation import ReconSpec, reconciliation_specs
from jd_pipeline.quality.results import (
    CheckOutcome,
    ensure_dq_tables,
    record_asset_check_results,
    write_outcomes,
)
from jd_pipeline.quality.windows import Window, partition_window, period_window, window_from_bounds

__all__ = [
    "CheckCost",
    "CheckOutcome",
    "DataQualitySummary",
    "FailedCheck",
    "ReconSpec",
    "Window",
    "available_suites",
    "check_costs",
    "dq_summary",
    "ensure_dq_tables",
    "failed_blocking_checks",
    "format_costs",
    "gate_message",
    "load_suite_spec",
    "partition_window",
    "period_window",
    "reconciliation_specs",
    "record_asset_check_results",
    "run_suite_on_window",
    "window_from_bounds",
    "write_outcomes",
]
