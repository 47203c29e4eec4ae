"""What the checks cost: seconds per layer and per check, from `ops.dq_results.details.seconds`.

Every GX and reconciliation check records its own wall time; dbt tests run inside the dbt step
(their time is part of `dbt build`) and the gate's time is negligible.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from jd_pipeline.quality.results import has_dq_results


@dataclass(frozen=True)
class CheckCost:
    layer: str
    checks: int
    seconds: float
    rows: int
    slowest_check: str | None
    slowest_seconds: float


def check_costs(conn: duckdb.DuckDBPyConnection, run_ids: list[str]) -> list[CheckCost]:
    """Per layer (gx, reconciliation, dbt, gate): check count, total seconds, rows validated."""
    if not has_dq_results(conn):
        return []
    sql = """
        WITH r AS (
            SELECT coalesce(details->>'layer', CASE WHEN details->>'origin' = 'dagster_check' THEN 'dbt' END,
                            'other') AS layer,
                   check_name || ' on ' || asset AS check_label,
                   coalesce(TRY_CAST(details->>'seconds' AS DOUBLE), 0) AS seconds,
                   coalesce(TRY_CAST(details->>'rows' AS BIGINT), 0) AS rows
            FROM ops.dq_results WHERE run_id IN (SELECT unnest(?)))
        SELECT layer, count(*), sum(seconds), sum(rows), arg_max(check_label, seconds), max(seconds)
        FROM r GROUP BY layer ORDER BY sum(seconds) DESC"""
    return [
        CheckCost(layer, int(n), float(s or 0), int(rows or 0), slow, float(slow_s or 0))
        for layer, n, s, rows, slow, slow_s in conn.execute(sql, [run_ids]).fetchall()
    ]


def format_costs(costs: list[CheckCost], run_seconds: float | None = None) -> str:
    total = sum(c.seconds for c in costs)
    lines = [
        f"{c.layer:<15} {c.checks:>4} checks {c.seconds:8.2f}s  rows {c.rows:>10}  slowest "
        f"{c.slowest_check} ({c.slowest_seconds:.2f}s)"
        for c in costs
    ]
    share = f" = {total / run_seconds:.1%} of the run's {run_seconds:.1f}s" if run_seconds else ""
    return "\n".join(lines + [f"{'total':<15} {sum(c.checks for c in costs):>4} checks {total:8.2f}s{share}"])
