"""ops.dq_results history, the gate's "latest result per day" rule, dbt results, the report summary."""

from __future__ import annotations

import time

import dagster as dg

from jd_pipeline.quality import (
    CheckOutcome,
    dq_summary,
    failed_blocking_checks,
    gate_message,
    period_window,
    record_asset_check_results,
    write_outcomes,
)
from jd_pipeline.quality.windows import partition_window
from tests.quality.handmade import BRAND


def _outcome(
    passed: bool, severity: str = "error", period: str = "2026-03-01", name: str = "c"
) -> CheckOutcome:
    return CheckOutcome(name, "raw/jd_ads", passed, severity, "obs", period_window(period))  # type: ignore[arg-type]


def test_latest_result_per_day_decides(wh) -> None:
    write_outcomes(wh.conn, [_outcome(False, period="2026-03")], "r1")  # a month-wide failure
    time.sleep(0.01)
    write_outcomes(wh.conn, [_outcome(True, period="2026-03-05")], "r2")  # that day re-checked and fine
    assert failed_blocking_checks(wh.conn, period_window("2026-03-05")) == []
    failed = failed_blocking_checks(wh.conn, period_window("2026-03-06"))
    assert [(f.check_name, f.run_id) for f in failed] == [("c", "r1")]
    assert failed_blocking_checks(wh.conn, partition_window("2026-03-01...2026-03-31"))[0].days == 30


def test_warnings_never_close_the_gate(wh) -> None:
    write_outcomes(wh.conn, [_outcome(False, "warn")], "r1")
    assert failed_blocking_checks(wh.conn, period_window("2026-03-01")) == []


def test_gate_closed_message_names_check_and_observed_value(wh) -> None:
    write_outcomes(wh.conn, [_outcome(False)], "r1")
    window = period_window("2026-03-01")
    failed = failed_blocking_checks(wh.conn, window)
    assert len(failed) == 1
    message = gate_message(failed, window)
    assert "c on raw/jd_ads" in message
    assert "obs" in message


def test_dbt_results_are_recorded_and_gate(wh) -> None:
    key = dg.AssetKey(["marts", "fct_sales_daily"])
    results = [
        dg.AssetCheckResult(
            asset_key=key,
            check_name="unique_fct_sales_daily_grain",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"dagster_dbt/failed_row_count": 2},
        ),
        dg.AssetCheckEvaluation(
            asset_key=key,
            check_name="accepted_values_store_type",
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
        ),
        dg.Output(None),  # other dbt events are ignored
    ]
    assert record_asset_check_results(wh.conn, results, "dbt-run", "2026-03-01,2026-03-02") == 2
    rows = wh.conn.execute(
        "SELECT check_name, asset, partition, passed, severity, observed_value, run_id "
        "FROM ops.dq_results ORDER BY check_name"
    ).fetchall()
    assert rows == [
        (
            "accepted_values_store_type",
            "marts/fct_sales_daily",
            "2026-03-01,2026-03-02",
            False,
            "warn",
            None,
            "dbt-run",
        ),
        (
            "unique_fct_sales_daily_grain",
            "marts/fct_sales_daily",
            "2026-03-01,2026-03-02",
            False,
            "error",
            "2",
            "dbt-run",
        ),
    ]
    assert [f.check_name for f in failed_blocking_checks(wh.conn, period_window("2026-03-02"))] == [
        "unique_fct_sales_daily_grain"
    ]
    assert failed_blocking_checks(wh.conn, period_window("2026-03-03")) == []


def test_unpartitioned_dbt_results_cover_all_days(wh) -> None:
    key = dg.AssetKey(["marts", "fct_sales_daily"])
    record_asset_check_results(
        wh.conn, [dg.AssetCheckResult(asset_key=key, check_name="t", passed=False)], "r", None
    )
    assert failed_blocking_checks(wh.conn, period_window("2031-12-31"))


def test_dq_summary_counts_and_quarantine(wh) -> None:
    write_outcomes(
        wh.conn,
        [_outcome(True, name="a"), _outcome(False, "warn", name="b"), _outcome(False, name="c")],
        "r1",
    )
    other = _outcome(False, name="d")
    other.details["failing_brands"] = ["other_brand"]
    write_outcomes(wh.conn, [other], "r1")
    load_id = wh.load("jd_ads", [], period="2026-03-01")
    wh.quarantine(load_id, "jd_ads", "ID mangled by Excel (1.23457E+13)", n=2)
    wh.quarantine(load_id, "jd_ads", "unparseable number", n=1)
    summary = dq_summary(wh.conn, BRAND, period_window("2026-03"))
    assert (summary.passed, summary.warned, summary.failed) == (1, 1, 1)
    assert summary.status == "failed" and summary.failed_checks[0]["check_name"] == "c"
    assert summary.quarantined_rows == 3
    assert summary.quarantined_by_reason == {"ID mangled by Excel (…)": 2, "unparseable number": 1}
    as_dict = summary.to_dict()
    assert as_dict["status"] == "failed" and as_dict["failed_checks"] == [
        {"check": "c", "asset": "raw/jd_ads", "observed_value": "obs"}
    ]


def test_readers_work_on_read_only_connections(tmp_path) -> None:
    import duckdb

    from jd_pipeline.quality import check_costs

    path = str(tmp_path / "serving.duckdb")
    duckdb.connect(path).close()
    conn = duckdb.connect(path, read_only=True)
    try:
        window = period_window("2026-03-01")
        assert failed_blocking_checks(conn, window) == [] and check_costs(conn, ["r"]) == []
        assert dq_summary(conn, BRAND, window).status == "passed"
    finally:
        conn.close()


def test_quarantine_reasons_group_into_kinds_without_row_values(wh) -> None:
    """A report lists kinds of reasons, not one line per quarantined row (116k lines once)."""
    load_id = wh.load("jd_pop_orders", [], period="2026-03-01")
    for order in range(40):
        wh.quarantine(
            load_id, "jd_pop_orders", f"duplicate key (order_id=30{order}, sku_id=7) of row {order + 2}"
        )
    wh.quarantine(load_id, "jd_pop_orders", "京东价: cannot parse 'abc' as money", n=3)
    wh.quarantine(load_id, "jd_pop_orders", "京东价: cannot parse 'x1' as money", n=1)
    summary = dq_summary(wh.conn, BRAND, period_window("2026-03"))
    assert summary.quarantined_by_reason == {
        "duplicate key (…) of row #": 40,
        "京东价: cannot parse '…' as money": 4,
    }
    assert summary.quarantined_rows == 44
