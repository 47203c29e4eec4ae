"""The GX runner on hand-built raw batches: pass, blocking failure, warning, no personal data."""

from __future__ import annotations

import json

import pytest

from jd_pipeline.quality import period_window, run_suite_on_window
from jd_pipeline.quality.gx_runner import available_suites, chunk_periods, load_suite_spec

from .conftest import DAY, ads_rows, load_good_day, opex_rows, pop_order_lines, ts


def test_good_batches_pass(wh) -> None:
    load_good_day(wh)
    for source in ("jd_pop_orders", "jd_sz_sku", "jd_ads", "jd_vc_inventory", "jd_sz_traffic", "jd_vc_sales"):
        outcome = run_suite_on_window(wh.conn, source, period_window(DAY))
        assert outcome.passed, (source, outcome.observed_value)
        assert outcome.details["rows"] > 0


def test_unknown_product_line_fails_with_example_and_file(wh) -> None:
    wh.load("jd_ads", ads_rows(product_line="京东新广告"))
    outcome = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert not outcome.passed and outcome.severity == "error"
    failure = next(f for f in outcome.details["failures"] if f["kwargs"].get("column") == "product_line")
    assert failure["observed"]["sample"] == ["京东新广告"]
    assert failure["examples"][0]["product_line"] == "京东新广告"
    assert failure["files"] == ["landing/jd_ads/acme/2026-03-01/jd_ads_2026-03-01.xlsx"]
    assert "product_line" in outcome.observed_value and "jd_ads_2026-03-01.xlsx" in outcome.observed_value


def test_examples_never_carry_buyer_key(wh) -> None:
    lines = pop_order_lines()
    lines[0]["order_status"] = "神秘状态"
    lines[1]["order_ts"] = ts("2026-03-02")  # outside the folder's day
    wh.load("jd_pop_orders", lines, store="pop")
    outcome = run_suite_on_window(wh.conn, "jd_pop_orders", period_window(DAY))
    assert not outcome.passed
    failed = {f["expectation"] + ":" + str(f["kwargs"].get("column") or f["kwargs"].get("column_A")) for f in
              outcome.details["failures"]}
    assert "expect_column_values_to_match_regex:order_status" in failed
    assert "expect_column_pair_values_a_to_be_greater_than_b:_period_end" in failed
    text = json.dumps(outcome.details, ensure_ascii=False)
    assert "buyer_key" not in text.replace('"column": "buyer_key"', "") and "hash-abc" not in text
    assert any(f["examples"] for f in outcome.details["failures"])


def test_warning_only_failure_is_warn(wh) -> None:
    lines = pop_order_lines()
    for line in lines:
        line["payment_method"] = "白条"  # not in the known set: a warning expectation
    wh.load("jd_pop_orders", lines, store="pop")
    outcome = run_suite_on_window(wh.conn, "jd_pop_orders", period_window(DAY))
    assert not outcome.passed and outcome.severity == "warn"


def test_row_count_sanity_against_last_deliveries(wh) -> None:
    for i in range(1, 5):  # history: 4 deliveries of 20 rows
        wh.conn.execute("INSERT INTO ops.load_manifest (load_id, source, status, rows_loaded, delivered_at) "
                        "VALUES (?, 'jd_ads', 'loaded', 20, now())", [f"old{i}"])
    wh.load("jd_ads", ads_rows())  # 1 row: < 0.2 x median
    outcome = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert not outcome.passed and outcome.severity == "warn"
    assert outcome.details["failures"][0]["expectation"] == "expect_table_row_count_to_be_between"


def test_currency_and_month_within_period(wh) -> None:
    rows = opex_rows("2026-03", currency="USD") + [{**opex_rows("2026-04")[0], "voucher_id": "X"}]
    wh.load("fin_opex_actuals", rows, period="2026-03")
    outcome = run_suite_on_window(wh.conn, "fin_opex_actuals", period_window("2026-03"))
    cols = {str(f["kwargs"].get("column") or f["kwargs"].get("column_B")) for f in outcome.details["failures"]}
    assert not outcome.passed and {"currency", "period"} <= cols


def test_empty_window_passes_without_gx(wh) -> None:
    outcome = run_suite_on_window(wh.conn, "jd_ads", period_window("2026-03-05"))
    assert outcome.passed and outcome.details["rows"] == 0 and outcome.details["batches"] == []


def test_chunks_keep_whole_periods() -> None:
    assert chunk_periods([("a", 3), ("b", 3), ("c", 5), ("d", 1)], max_rows=6) == [["a", "b"], ["c", "d"]]


@pytest.mark.parametrize("source", available_suites())
def test_every_suite_blocks_a_row_without_keys(wh, source: str) -> None:
    """Each suite is a blocking check: a delivery whose key columns are empty fails it at ERROR."""
    label = {"daily": DAY, "monthly": "2026-03", "quarterly": "2026Q1", "yearly": "2026"}[
        load_suite_spec(source).period_kind]
    wh.load(source, [{}], period=label)
    outcome = run_suite_on_window(wh.conn, source, period_window(label))
    assert not outcome.passed and outcome.severity == "error"
    assert any(f["expectation"] == "expect_column_values_to_not_be_null" for f in outcome.details["failures"])


def test_an_unchanged_batch_keeps_its_result_and_a_new_delivery_is_validated(wh) -> None:
    from jd_pipeline.quality.results import write_outcomes

    wh.load("jd_ads", ads_rows(product_line="京东新广告"), load_id="ads-v1")
    first = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert not first.passed and first.details["batch_fingerprint"]
    write_outcomes(wh.conn, [first], "run-1")
    again = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert (again.passed, again.severity) == (False, "error")  # the failure stands: the gate stays closed
    assert again.observed_value.startswith("batch unchanged since run run-1")
    assert again.details["reused_from_run"] == "run-1" and "rows" in again.details
    write_outcomes(wh.conn, [again], "run-2")  # reused night after night: still names run-1, once
    third = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert third.observed_value == again.observed_value and third.details["reused_from_run"] == "run-1"
    # a corrected re-delivery replaces the batch: validated again, and it passes
    wh.conn.execute("DELETE FROM raw.jd_ads WHERE _load_id = 'ads-v1'")
    wh.load("jd_ads", ads_rows(), load_id="ads-v2")
    fixed = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert fixed.passed and "reused_from_run" not in fixed.details
    assert fixed.details["batch_fingerprint"] != first.details["batch_fingerprint"]
