"""Reconciliation checks: a good fixture passes, a broken one fails with the right severity."""

from __future__ import annotations

from jd_pipeline.quality import CheckOutcome, period_window, reconciliation_specs, write_outcomes
from jd_pipeline.quality.gx_runner import available_suites
from tests.quality.handmade import DAY, ads_rows, load_good_day, opex_rows, plan_rows, sz_sku_rows


def _spec(name: str, source: str | None = None):
    return next(
        s
        for s in reconciliation_specs(available_suites())
        if s.name == name and (source is None or s.source == source)
    )


def _run(wh, name: str, period: str = DAY, source: str | None = None) -> CheckOutcome:
    outcome = _spec(name, source).fn(wh.conn, period_window(period))
    write_outcomes(wh.conn, [outcome], "test-run")
    return outcome


def test_good_day_reconciles(wh) -> None:
    load_good_day(wh)
    specs = reconciliation_specs(available_suites())
    assert len(specs) > len(available_suites())  # a totals check per raw source and the cross-source ones
    for spec in specs:
        outcome = spec.fn(wh.conn, period_window(DAY if spec.source.startswith("jd_") else "2026"))
        assert outcome.passed, (spec.name, spec.source, outcome.observed_value)


def test_pop_gmv_gap_warns_with_gap_in_details(wh) -> None:
    load_good_day(wh)
    wh.replace("jd_sz_sku", sz_sku_rows(400), store="pop")  # 商智 400 vs orders gmv 300
    outcome = _run(wh, "sz_pop_deal_vs_orders_gmv")
    assert not outcome.passed and outcome.severity == "warn"
    day = outcome.details["days_beyond_tolerance"][0]
    assert day["gap"] == 100 and abs(day["gap_pct"] - 1 / 3) < 1e-9


def test_pop_gmv_day_without_sz_is_not_comparable_not_a_gap(wh) -> None:
    """The day's 商智 file rejected (no rows): not a gap of 30000 % (300 ÷ 0.01) but "not comparable"."""
    load_good_day(wh)
    wh.conn.execute("DELETE FROM raw.jd_sz_sku WHERE _store = 'pop'")
    outcome = _run(wh, "sz_pop_deal_vs_orders_gmv")
    assert outcome.passed
    assert outcome.details["max_gap_pct"] == 0 and outcome.details["days_compared"] == 0
    (day,) = outcome.details["days_not_comparable"]
    assert day["missing"] == "jd_sz_sku" and str(day["day"]).startswith(DAY)
    assert "1 not comparable" in outcome.observed_value


def test_ads_share_above_100_percent_warns(wh) -> None:
    load_good_day(wh)
    wh.replace("jd_ads", ads_rows(amount=900))  # 900 attributed vs 600 商智 deal amount
    outcome = _run(wh, "ads_attributed_vs_sz_deal")
    assert not outcome.passed and outcome.severity == "warn" and outcome.details["max_share"] == 1.5


def test_national_row_disagreeing_with_rdcs_is_an_error(wh) -> None:
    load_good_day(wh)
    wh.conn.execute("UPDATE ops.file_totals SET total_value = 12 WHERE source = 'jd_vc_inventory'")
    outcome = _run(wh, "inventory_national_equals_rdc_sum")
    assert not outcome.passed and outcome.severity == "error"
    assert "jd_vc_inventory_2026-03-01.xlsx" in outcome.observed_value and "12" in outcome.observed_value


def test_traffic_subtotal_mismatch_is_an_error(wh) -> None:
    load_good_day(wh)
    wh.conn.execute("UPDATE ops.file_totals SET total_value = 31 WHERE source = 'jd_sz_traffic'")
    outcome = _run(wh, "traffic_subtotals_match")
    assert not outcome.passed and outcome.severity == "error"


def test_total_row_mismatch_is_an_error_but_ratios_are_ignored(wh) -> None:
    load_good_day(wh)
    load_id = wh.conn.execute("SELECT load_id FROM ops.file_totals WHERE source = 'jd_vc_sales'").fetchone()[
        0
    ]
    wh.total(load_id, "jd_vc_sales", "时间=合计", "units", 4, 3)
    wh.total(load_id, "jd_sz_sku", "时间=合计", "deal_conversion", 0.5, 0.03)  # a ratio: never summed
    assert not _run(wh, "total_rows_match_details", source="jd_vc_sales").passed
    assert _run(wh, "total_rows_match_details", source="jd_sz_sku").passed


def test_replaced_delivery_totals_are_ignored(wh) -> None:
    load_good_day(wh)
    wh.conn.execute("UPDATE ops.file_totals SET total_value = 31 WHERE source = 'jd_sz_traffic'")
    wh.conn.execute("UPDATE ops.load_manifest SET status = 'replaced' WHERE source = 'jd_sz_traffic'")
    assert _run(wh, "traffic_subtotals_match").passed


def test_closed_opex_month_change_is_an_error(wh) -> None:
    wh.load("fin_opex_actuals", opex_rows("2026-02"), period="2026-02")
    wh.load("fin_opex_actuals", opex_rows("2026-03"), period="2026-03")  # closes 2026-02
    assert _run(wh, "opex_closed_months_unchanged", "2026-02").passed  # baseline
    wh.replace("fin_opex_actuals", opex_rows("2026-03", debit=1500), period="2026-03")  # open: may change
    assert _run(wh, "opex_closed_months_unchanged", "2026-03").passed
    wh.replace("fin_opex_actuals", opex_rows("2026-02", debit=1200), period="2026-02")  # closed: may not
    outcome = _run(wh, "opex_closed_months_unchanged", "2026-02")
    assert not outcome.passed and outcome.severity == "error"
    assert "1000" in outcome.observed_value and "1200" in outcome.observed_value
    wh.replace("fin_opex_actuals", opex_rows("2026-02"), period="2026-02")  # the good numbers again
    assert _run(wh, "opex_closed_months_unchanged", "2026-02").passed


def test_plan_missing_a_month_is_an_error(wh) -> None:
    wh.load("fin_sales_plan", plan_rows(months=11), period="2026")
    outcome = _run(wh, "plan_months_sum_to_year", "2026")
    assert not outcome.passed and outcome.severity == "error" and "11 months" in outcome.observed_value
    wh.replace("fin_sales_plan", plan_rows(), period="2026")
    assert _run(wh, "plan_months_sum_to_year", "2026").passed


def _revision(first_month: int, last_month: int = 12, version: str = "2026-Q2滚动") -> list[dict]:
    return [
        {**row, "plan_version": version, "published_on": row["published_on"].replace(month=3, day=25)}
        for row in plan_rows()
        if first_month <= int(row["month"][5:]) <= last_month
    ]


def test_plan_revision_of_the_remaining_months_passes(wh) -> None:
    # budget: 12 months; 2026-Q2滚动: April..December only (the months before stay on the budget)
    wh.load("fin_sales_plan", plan_rows() + _revision(4), period="2026")
    outcome = _run(wh, "plan_months_sum_to_year", "2026")
    assert outcome.passed, outcome.observed_value


def test_plan_revision_with_a_gap_or_a_budget_without_january_fails(wh) -> None:
    wh.load("fin_sales_plan", plan_rows() + _revision(4, last_month=11), period="2026")  # no December
    assert not _run(wh, "plan_months_sum_to_year", "2026").passed
    gap = [r for r in _revision(4) if r["month"] != "2026-06"]  # June missing inside the run
    wh.replace("fin_sales_plan", plan_rows() + gap, period="2026")
    assert not _run(wh, "plan_months_sum_to_year", "2026").passed
    budget_from_april = [r for r in plan_rows() if r["month"] >= "2026-04"]
    wh.replace("fin_sales_plan", budget_from_april, period="2026")
    outcome = _run(wh, "plan_months_sum_to_year", "2026")
    assert not outcome.passed and "2026-预算" in outcome.observed_value
