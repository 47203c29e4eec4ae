"""The GX runner on hand-built raw batches: pass, blocking failure, warning, no personal data."""

from __future__ import annotations

import json

import pytest

from jd_pipeline.ingest.plausibility import ACCEPT_NOTE
from jd_pipeline.quality import period_window, run_suite_on_window
from jd_pipeline.quality.gx_runner import available_suites, chunk_periods, load_suite_spec
from tests.quality.handmade import DAY, ads_rows, load_good_day, opex_rows, pop_order_lines, ts, vc_sales_rows


@pytest.mark.integration
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
    failed = {
        f["expectation"] + ":" + str(f["kwargs"].get("column") or f["kwargs"].get("column_A"))
        for f in outcome.details["failures"]
    }
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


def _history(wh, source: str, rows: int, brand: str = "acme", store: str | None = None, n: int = 4) -> None:
    """n earlier deliveries of `rows` rows each of (source, brand, store) in the manifest."""
    for i in range(1, n + 1):
        wh.conn.execute(
            "INSERT INTO ops.load_manifest (load_id, source, brand, store, status, rows_loaded, "
            "delivered_at) VALUES (?, ?, ?, ?, 'replaced', ?, now() - INTERVAL (?) DAY)",
            [f"old-{source}-{brand}-{i}", source, brand, store, rows, i],
        )


def _volume_failures(outcome) -> list[dict]:
    return [
        f for f in outcome.details["failures"] if f["expectation"] == "expect_table_row_count_to_be_between"
    ]


def test_a_near_empty_day_of_a_daily_source_fails_the_blocking_volume_check(wh) -> None:
    _history(wh, "jd_ads", 20)  # 1 row: under 10 % of the median 20
    wh.load("jd_ads", ads_rows())
    outcome = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert not outcome.passed and outcome.severity == "error"
    (failure,) = _volume_failures(outcome)
    assert failure["kwargs"]["min_value"] == 2 and failure["observed"] == 1
    assert outcome.details["batches"][0]["row_count_bounds"] == {"min_rows": 2, "max_rows": 100}


def test_the_volume_minimum_is_per_brand_and_store_and_spares_accepted_days(wh) -> None:
    _history(wh, "jd_ads", 20, brand="big")  # another brand's volume does not count for acme
    _history(wh, "jd_ads", 1)
    wh.load("jd_ads", ads_rows())
    assert run_suite_on_window(wh.conn, "jd_ads", period_window(DAY)).passed

    _history(wh, "jd_vc_sales", 60, store="self")
    load_id = wh.load("jd_vc_sales", vc_sales_rows(), store="self")
    assert _volume_failures(run_suite_on_window(wh.conn, "jd_vc_sales", period_window(DAY)))
    wh.conn.execute("UPDATE ops.load_manifest SET reason = ? WHERE load_id = ?", [ACCEPT_NOTE, load_id])
    outcome = run_suite_on_window(wh.conn, "jd_vc_sales", period_window(DAY))
    assert outcome.passed, outcome.observed_value  # the operator accepted the day's volume after a hold


def test_volume_is_a_warning_for_sources_of_varying_volume_and_above_the_median(wh) -> None:
    _history(wh, "fin_opex_actuals", 100)  # a month in progress may be small: warn only
    wh.load("fin_opex_actuals", opex_rows("2026-03"), period="2026-03")
    outcome = run_suite_on_window(wh.conn, "fin_opex_actuals", period_window("2026-03"))
    assert not outcome.passed and outcome.severity == "warn" and _volume_failures(outcome)
    _history(wh, "jd_ads", 1, brand="acme", n=4)
    wh.load(
        "jd_ads", ads_rows() + [{**ads_rows()[0], "sku_id": f"S{i}"} for i in range(2, 8)]
    )  # 7 rows > 5 x 1
    outcome = run_suite_on_window(wh.conn, "jd_ads", period_window(DAY))
    assert not outcome.passed and outcome.severity == "warn"
    assert _volume_failures(outcome)[0]["kwargs"]["max_value"] == 5


def test_currency_and_month_within_period(wh) -> None:
    rows = opex_rows("2026-03", currency="USD") + [{**opex_rows("2026-04")[0], "voucher_id": "X"}]
    wh.load("fin_opex_actuals", rows, period="2026-03")
    outcome = run_suite_on_window(wh.conn, "fin_opex_actuals", period_window("2026-03"))
    cols = {
        str(f["kwargs"].get("column") or f["kwargs"].get("column_B")) for f in outcome.details["failures"]
    }
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
        load_suite_spec(source).period_kind
    ]
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
