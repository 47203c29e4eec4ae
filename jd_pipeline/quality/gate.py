"""The data-quality gate and the data-quality summary the reports print.

The gate looks at `ops.dq_results`: for every day of the window and every (check, asset) it
takes the latest result whose window covers that day; any such result that failed with
severity `error` closes the gate. Because it reads the persisted history (not the current
run), re-running only downstream assets cannot bypass a failed check, and a later passing run
of the same check over the same days reopens the gate without manual clean-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from jd_pipeline.quality.results import has_dq_results
from jd_pipeline.quality.windows import Window, period_end_sql, period_start_sql
from jd_pipeline.warehouse import fetch_value

GATE_ASSET = "quality/dq_gate"

_LATEST_PER_DAY = """
    WITH days AS (
        SELECT CAST(unnest(generate_series(CAST(? AS DATE), CAST(? AS DATE) - INTERVAL 1 DAY, INTERVAL 1 DAY))
               AS DATE) AS day),
    r AS (
        SELECT *, CAST(details->>'window_start' AS DATE) AS ws, CAST(details->>'window_end' AS DATE) AS we
        FROM ops.dq_results
        WHERE asset <> ? AND CAST(details->>'window_start' AS DATE) < CAST(? AS DATE)
          AND CAST(details->>'window_end' AS DATE) > CAST(? AS DATE)),
    latest AS (
        SELECT days.day, r.* FROM days JOIN r ON r.ws <= days.day AND days.day < r.we
        QUALIFY row_number() OVER (PARTITION BY days.day, r.check_name, r.asset ORDER BY r.checked_at DESC) = 1)
"""


@dataclass(frozen=True)
class FailedCheck:
    check_name: str
    asset: str
    partition: str | None
    severity: str
    observed_value: str | None
    run_id: str | None
    first_day: date
    last_day: date
    days: int

    def describe(self) -> str:
        span = self.first_day.isoformat() if self.days == 1 else f"{self.first_day}..{self.last_day}"
        return f"{self.check_name} on {self.asset} [{span}]: {self.observed_value}"


def latest_results(conn: duckdb.DuckDBPyConnection, window: Window) -> list[dict[str, Any]]:
    """Latest result per (check, asset, partition) covering any day of the window."""
    if not has_dq_results(conn):
        return []
    sql = (
        _LATEST_PER_DAY
        + """
        SELECT check_name, asset, "partition", passed, severity, observed_value, run_id, checked_at,
               min(day) AS first_day, max(day) AS last_day, count(*) AS days
        FROM latest GROUP BY ALL ORDER BY passed, severity, check_name, asset"""
    )
    params = [window.start, window.end, GATE_ASSET, window.end, window.start]
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def failed_blocking_checks(conn: duckdb.DuckDBPyConnection, window: Window) -> list[FailedCheck]:
    """Blocking checks (severity error) whose latest result for some day of the window failed."""
    return [
        FailedCheck(
            r["check_name"],
            r["asset"],
            r["partition"],
            r["severity"],
            r["observed_value"],
            r["run_id"],
            r["first_day"],
            r["last_day"],
            r["days"],
        )
        for r in latest_results(conn, window)
        if not r["passed"] and r["severity"] == "error"
    ]


def gate_message(failed: list[FailedCheck], window: Window) -> str:
    # The first line names the failed checks: run summaries and held-back reasons show only it.
    named = ", ".join(f"{f.check_name} on {f.asset}" for f in failed[:3])
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    lines = [
        (
            f"data-quality gate closed for {window.start}..{window.end} (end exclusive): "
            f"{len(failed)} blocking check(s) failed: {named}{more}"
        )
    ]
    lines += [f"  - {f.describe()}" for f in failed]
    return "\n".join(lines)


# ------------------------------------------------------------------ summary for reports


@dataclass
class DataQualitySummary:
    brand: str
    window: Window
    passed: int = 0
    warned: int = 0
    failed: int = 0
    failed_checks: list[dict[str, Any]] = field(default_factory=list)
    warned_checks: list[dict[str, Any]] = field(default_factory=list)
    quarantined_rows: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "failed" if self.failed else "warned" if self.warned else "passed"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the reports' data-quality section."""

        def brief(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                {"check": r["check_name"], "asset": r["asset"], "observed_value": r["observed_value"]}
                for r in rows
            ]

        return {
            "brand": self.brand,
            "period_start": self.window.start.isoformat(),
            "period_end": self.window.end.isoformat(),
            "status": self.status,
            "passed": self.passed,
            "warned": self.warned,
            "failed": self.failed,
            "failed_checks": brief(self.failed_checks),
            "warned_checks": brief(self.warned_checks),
            "quarantined_rows": self.quarantined_rows,
            "quarantined_by_reason": self.quarantined_by_reason,
        }


# Results name the brands they failed for (details.failing_brands) when the check knows them;
# a failure that names other brands only is not this brand's.
_BRAND_FILTER = (
    "(passed OR json_array_length(coalesce(details->'failing_brands', '[]')) = 0 "
    "OR list_contains(CAST(details->'failing_brands' AS VARCHAR[]), ?))"
)


def _quarantine(conn: duckdb.DuckDBPyConnection, brand: str, window: Window) -> dict[str, int]:
    exists = fetch_value(
        conn,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ops' "
        "AND table_name IN ('quarantine_rows', 'load_manifest')",
    )
    if exists < 2:
        return {}
    sql = f"""
        SELECT {reason_kind_sql("q.reason")} AS kind, count(*) AS n
        FROM ops.quarantine_rows q JOIN ops.load_manifest m USING (load_id)
        WHERE m.brand = ? AND m.status = 'loaded'
          AND {period_start_sql("m.period")} < ? AND {period_end_sql("m.period")} > ?
        GROUP BY 1 ORDER BY 2 DESC, 1"""
    rows = conn.execute(sql, [brand, window.end, window.start]).fetchall()
    kinds = {str(kind): int(n) for kind, n in rows[:MAX_REASON_KINDS]}
    if len(rows) > MAX_REASON_KINDS:
        kinds[f"({len(rows) - MAX_REASON_KINDS} other kinds)"] = sum(
            int(n) for _, n in rows[MAX_REASON_KINDS:]
        )
    return kinds


MAX_REASON_KINDS = 25


def reason_kind_sql(reason: str) -> str:
    """A quarantine reason without its row-specific values, so reasons group into kinds: what is
    in (...) or quotes and the numbers go ("duplicate key (order_id=3002, sku_id=55) of row 7" ->
    "duplicate key (…) of row #"). Every row's full reason stays in ops.quarantine_rows."""
    without_groups = f"regexp_replace({reason}, '\\([^)]*\\)', '(…)', 'g')"
    without_quoted = f"regexp_replace({without_groups}, '''[^'']*''', '''…''', 'g')"
    return f"regexp_replace({without_quoted}, '-?[0-9][0-9.,]*', '#', 'g')"


def dq_summary(conn: duckdb.DuckDBPyConnection, brand: str, window: Window) -> DataQualitySummary:
    """What passed, warned and failed (latest result per check over the window) and how many
    rows of the brand's current deliveries were quarantined, by reason."""
    summary = DataQualitySummary(brand=brand, window=window)
    summary.quarantined_by_reason = _quarantine(conn, brand, window)
    summary.quarantined_rows = sum(summary.quarantined_by_reason.values())
    if not has_dq_results(conn):
        return summary
    sql = (
        _LATEST_PER_DAY
        + f"""
        SELECT check_name, asset, passed, severity, any_value(observed_value ORDER BY checked_at DESC) AS observed_value,
               max(checked_at) AS checked_at
        FROM latest WHERE {_BRAND_FILTER}
        GROUP BY check_name, asset, passed, severity"""
    )
    params = [window.start, window.end, GATE_ASSET, window.end, window.start, brand]
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    worst: dict[tuple[str, str], dict[str, Any]] = {}
    rank = {"passed": 0, "warned": 1, "failed": 2}
    for r in rows:
        r["outcome"] = "passed" if r["passed"] else ("failed" if r["severity"] == "error" else "warned")
        key = (r["check_name"], r["asset"])
        if key not in worst or rank[r["outcome"]] > rank[worst[key]["outcome"]]:
            worst[key] = r
    for r in worst.values():
        setattr(summary, r["outcome"], getattr(summary, r["outcome"]) + 1)
        if r["outcome"] == "failed":
            summary.failed_checks.append(r)
        elif r["outcome"] == "warned":
            summary.warned_checks.append(r)
    return summary
