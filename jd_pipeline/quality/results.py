"""`ops.dq_results`: one row per check run, and the writer every check goes through.

Columns (marts.md / ARCHITECTURE.md): check_name, asset, partition, passed, severity,
observed_value, run_id, checked_at, details (JSON). `details` always carries `window_start`
and `window_end` (ISO, end exclusive): the business dates the result covers; the gate reads them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import dagster as dg
import duckdb

from jd_pipeline.quality.windows import ALL_TIME, Window, partition_window

Severity = Literal["error", "warn"]

DQ_RESULTS_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.dq_results (
    check_name     VARCHAR NOT NULL,
    asset          VARCHAR NOT NULL,
    "partition"    VARCHAR,
    passed         BOOLEAN NOT NULL,
    severity       VARCHAR NOT NULL,
    observed_value VARCHAR,
    run_id         VARCHAR,
    checked_at     TIMESTAMP NOT NULL,
    details        JSON
);
"""


@dataclass
class CheckOutcome:
    """The structured result of one check over one window (before it is written)."""

    check_name: str
    asset: str
    passed: bool
    severity: Severity
    observed_value: Any
    window: Window = ALL_TIME
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking_failure(self) -> bool:
        return not self.passed and self.severity == "error"


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=True)


def _observed_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return to_json(value)


def ensure_dq_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(DQ_RESULTS_DDL)


def has_dq_results(conn: duckdb.DuckDBPyConnection) -> bool:
    """Readers use this instead of creating the table, so they work on read-only connections."""
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'ops' AND table_name = 'dq_results'"
    ).fetchone()
    return bool(row and row[0])


def write_outcomes(
    conn: duckdb.DuckDBPyConnection, outcomes: Iterable[CheckOutcome], run_id: str | None
) -> int:
    """Append outcomes to `ops.dq_results`; returns the number of rows written."""
    ensure_dq_tables(conn)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for o in outcomes:
        details = {
            **o.details,
            "window_start": o.window.start.isoformat(),
            "window_end": o.window.end.isoformat(),
            "description": o.description,
        }
        rows.append(
            (
                o.check_name,
                o.asset,
                o.window.partition,
                o.passed,
                o.severity,
                _observed_text(o.observed_value),
                run_id,
                now,
                to_json(details),
            )
        )
    if rows:
        conn.executemany("INSERT INTO ops.dq_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _severity_of(result: dg.AssetCheckResult | dg.AssetCheckEvaluation) -> Severity:
    return "warn" if result.severity == dg.AssetCheckSeverity.WARN else "error"


def _metadata_values(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (metadata or {}).items():
        out[key] = getattr(value, "value", value)
    return out


_OBSERVED_KEYS = ("observed_value", "dagster_dbt/failed_row_count", "failed_row_count", "failures")


def _observed_from_metadata(values: Mapping[str, Any]) -> Any:
    for key in _OBSERVED_KEYS:
        if key in values:
            return values[key]
    return None


def outcome_from_check_result(
    result: dg.AssetCheckResult | dg.AssetCheckEvaluation, window: Window
) -> CheckOutcome:
    """Map a Dagster check result (e.g. a dbt test run by dagster-dbt) to a CheckOutcome."""
    asset_key = result.asset_key
    check_name = result.check_name
    if asset_key is None or check_name is None:  # AssetCheckResult without explicit key
        key = getattr(result, "asset_check_key", None)
        asset_key = asset_key or (key.asset_key if key else None)
        check_name = check_name or (key.name if key else "unknown_check")
    values = _metadata_values(result.metadata)
    return CheckOutcome(
        check_name=check_name or "unknown_check",
        asset=asset_key.to_user_string() if asset_key else "unknown",
        passed=bool(result.passed),
        severity=_severity_of(result),
        observed_value=_observed_from_metadata(values),
        window=window,
        description=getattr(result, "description", None) or "",
        details={"metadata": values, "origin": "dagster_check"},
    )


def record_asset_check_results(
    conn: duckdb.DuckDBPyConnection,
    results: Iterable[dg.AssetCheckResult | dg.AssetCheckEvaluation],
    run_id: str | None,
    partition: str | None,
    window: Window | None = None,
) -> int:
    """Record dagster-dbt test results (AssetCheckResult / AssetCheckEvaluation) in ops.dq_results.

    `partition` is the partition key (or `first...last` range) the dbt run covered, None for a
    full run (then the result covers all dates). Pass `window` when the partition key alone is
    ambiguous (monthly keys look like days). Other events in `results` are ignored, so the
    whole dagster-dbt event stream can be passed. Returns the number of rows written.
    """
    win = window or partition_window(partition)
    if window is not None and partition and window.label is None:
        win = Window(window.start, window.end, partition)
    outcomes = [
        outcome_from_check_result(r, win)
        for r in results
        if isinstance(r, (dg.AssetCheckResult, dg.AssetCheckEvaluation))
    ]
    return write_outcomes(conn, outcomes, run_id)
