"""Each rule kind fires on hand-made data with hand-computed figures, de-duplicates on a second
evaluation and resolves when its cause goes away."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from jd_pipeline.alerts.config import AlertConfigError, load_rules
from jd_pipeline.alerts.engine import run_alerts
from tests.alerts.handmade import AS_OF, add_check, day, day_end_utc, manifest_row

NOW = datetime(2026, 6, 11, 3, 0)  # UTC: 2 h after jd_pop_orders of June 10 was due

EXPECTED = {
    "gmv_pace:brand_a:pop:2026-06": "critical",
    "ads_roi_drop:brand_a:product_line:kuaiche": "critical",
    "ads_roi_drop:brand_a:product_line:smart": "warning",
    "ads_roi_drop:brand_a:haitou:c9": "warning",
    "days_of_cover:brand_a:s1": "critical",
    "po_past_eta:brand_a:p1": "critical",
    "po_past_eta:brand_a:p3": "warning",
    "action_overdue:brand_a:a1": "warning",
    "action_overdue:brand_a:a3": "critical",
    "source_late:brand_a:jd_pop_orders:-": "warning",
    "check_failed:recon_order_totals:raw/jd_pop_orders": "critical",
}


def _alerts(conn: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cur = conn.execute("select * from marts.fct_alerts")
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def _events(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return conn.execute("select alert_key, event from ops.alert_events order by event_id").fetchall()


def test_every_rule_kind_fires_with_its_figures(wh: duckdb.DuckDBPyConnection) -> None:
    evaluation = run_alerts(wh, AS_OF, NOW)
    assert evaluation.skipped == set()
    alerts = _alerts(wh)
    assert {k: a["severity"] for k, a in alerts.items()} == EXPECTED
    assert all(
        a["status"] == "open" and a["first_seen"] == NOW and a["resolved_at"] is None for a in alerts.values()
    )

    gmv = json.loads(alerts["gmv_pace:brand_a:pop:2026-06"]["figures"])
    assert (gmv["mtd_gmv"], gmv["plan_pace_gmv"], gmv["pace_ratio"]) == (70000.0, 100000.0, 0.7)
    assert alerts["gmv_pace:brand_a:pop:2026-06"]["source_load_ids"] == [
        f"L-pop-{n}" for n in range(1, 10)
    ] + ["L-plan"]
    kuaiche = json.loads(alerts["ads_roi_drop:brand_a:product_line:kuaiche"]["figures"])
    assert (kuaiche["roi_day"], kuaiche["roi_trailing"], kuaiche["drop"]) == (2.0, 5.0, 0.6)
    haitou = json.loads(alerts["ads_roi_drop:brand_a:haitou:c9"]["figures"])
    assert (haitou["roi_day"], haitou["roi_trailing"], haitou["drop"], haitou["label"]) == (
        2.0,
        3.0,
        0.3333,
        "海投-全店",
    )
    cover = json.loads(alerts["days_of_cover:brand_a:s1"]["figures"])
    assert (cover["available"], cover["avg_daily_shipped"], cover["days_of_cover"], cover["sku_rank"]) == (
        60,
        10.0,
        6.0,
        1,
    )
    po = json.loads(alerts["po_past_eta:brand_a:p1"]["figures"])
    assert (po["days_late"], po["lines"], po["qty_ordered"], po["po_amount"]) == (9, 2, 150, 1500.5)
    assert alerts["po_past_eta:brand_a:p1"]["source_load_ids"] == ["L-po-1"]
    action = json.loads(alerts["action_overdue:brand_a:a3"]["figures"])
    assert (action["days_overdue"], action["snapshot_date"], action["owner_id"]) == (21, "2026-06-08", "T003")
    late = json.loads(alerts["source_late:brand_a:jd_pop_orders:-"]["figures"])
    assert (late["expected_period"], late["usual_lag_hours"], late["hours_late"]) == ("2026-06-10", 3.0, 2.0)
    check = json.loads(alerts["check_failed:recon_order_totals:raw/jd_pop_orders"]["figures"])
    assert (check["first_day"], check["last_day"], check["observed_value"]) == (
        "2026-06-09",
        "2026-06-10",
        "3 rows off",
    )
    assert alerts["check_failed:recon_order_totals:raw/jd_pop_orders"]["brand"] is None
    assert sorted(_events(wh)) == sorted((k, "opened") for k in EXPECTED)


def test_a_second_evaluation_opens_nothing_new(wh: duckdb.DuckDBPyConnection) -> None:
    run_alerts(wh, AS_OF, NOW)
    later = NOW + timedelta(minutes=30)
    second = run_alerts(wh, AS_OF, later)
    assert second.merge is not None
    assert second.merge.opened == [] and second.merge.resolved == []
    assert sorted(second.merge.refreshed) == sorted(EXPECTED)
    assert len(_events(wh)) == len(EXPECTED)
    alerts = _alerts(wh)
    assert all(a["first_seen"] == NOW and a["last_seen"] == later for a in alerts.values())


def _fix_everything(wh: duckdb.DuckDBPyConnection) -> None:
    wh.execute(
        "insert into marts.fct_sales_daily values ('2026-06-10', 'brand_a', 'pop', 'k2', 30000)"
    )  # 1.00
    wh.execute(
        "update marts.fct_ads_daily set total_order_amount = 5000 where date_day = '2026-06-10' "
        "and product_line = 'kuaiche'"
    )
    wh.execute(
        "update marts.fct_ads_daily set total_order_amount = 1800 where date_day = '2026-06-10' "
        "and product_line = 'smart'"
    )
    wh.execute(
        "update marts.fct_inventory_daily set available = 500 where sku_id = 's1' and date_day = '2026-06-10'"
    )
    wh.execute(
        "update intermediate.int_vc_purchase_orders__latest set po_status = '已完成' where po_id in ('p1', 'p3')"
    )
    wh.execute(
        "update marts.fct_action_plan_status set status = '已完成', status_code = 'done' "
        "where snapshot_date = '2026-06-08'"
    )
    manifest_row(wh, "L-pop-10", "jd_pop_orders", "2026-06-10", day_end_utc(day(10)) + timedelta(hours=4))
    add_check(wh, "recon_order_totals", True, "error", day(9), day(11), datetime(2026, 6, 11, 2, 0))


def test_every_rule_kind_resolves_and_can_reopen(wh: duckdb.DuckDBPyConnection) -> None:
    run_alerts(wh, AS_OF, NOW)
    _fix_everything(wh)
    fixed_at = NOW + timedelta(hours=1)
    evaluation = run_alerts(wh, AS_OF, fixed_at)
    assert evaluation.candidates == []
    assert sorted(evaluation.merge.resolved) == sorted(EXPECTED)
    alerts = _alerts(wh)
    assert all(a["status"] == "resolved" and a["resolved_at"] == fixed_at for a in alerts.values())
    assert [e for e in _events(wh) if e[1] == "resolved"] == [(k, "resolved") for k in sorted(EXPECTED)]

    # resolved stays resolved (no second resolve event) ...
    run_alerts(wh, AS_OF, fixed_at + timedelta(hours=1))
    assert len(_events(wh)) == 2 * len(EXPECTED)
    # ... and the same problem coming back opens the same key again
    wh.execute(
        "update intermediate.int_vc_purchase_orders__latest set po_status = '已回告' where po_id = 'p1'"
    )
    again = run_alerts(wh, AS_OF, fixed_at + timedelta(hours=2))
    assert again.merge.opened == ["po_past_eta:brand_a:p1"]
    p1 = _alerts(wh)["po_past_eta:brand_a:p1"]
    assert (p1["status"], p1["times_opened"], p1["resolved_at"]) == ("open", 2, None)


def test_a_rule_that_cannot_evaluate_leaves_its_alerts_open(wh: duckdb.DuckDBPyConnection) -> None:
    run_alerts(wh, AS_OF, NOW)
    wh.execute("drop table marts.fct_ads_daily")
    evaluation = run_alerts(wh, AS_OF, NOW + timedelta(hours=1))
    assert evaluation.skipped == {"ads_roi_drop"}
    assert evaluation.merge.resolved == []
    assert _alerts(wh)["ads_roi_drop:brand_a:product_line:kuaiche"]["status"] == "open"


def test_an_older_day_does_not_touch_the_state(wh: duckdb.DuckDBPyConnection) -> None:
    run_alerts(wh, AS_OF, NOW)
    older = run_alerts(wh, AS_OF - timedelta(days=5), NOW + timedelta(hours=1))
    assert older.merge is None
    assert len(_events(wh)) == len(EXPECTED)


def test_brand_thresholds_override_the_defaults(
    wh: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        load_rules()
        .path.read_text("utf-8")
        .replace(
            "brands: {}",
            "brands:\n  brand_a:\n    gmv_pace: {critical_below: 0.5}\n    days_of_cover: {critical_below_days: 5}\n"
            "    po_past_eta: {enabled: false}\n",
        )
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, "utf-8")
    monkeypatch.setenv("JD_ALERT_RULES", str(path))
    run_alerts(wh, AS_OF, NOW)
    alerts = _alerts(wh)
    assert alerts["gmv_pace:brand_a:pop:2026-06"]["severity"] == "warning"  # 0.70: under 0.90, over 0.50
    assert alerts["days_of_cover:brand_a:s1"]["severity"] == "warning"  # 6.0 days: under 14, over 5
    assert not any(k.startswith("po_past_eta") for k in alerts)


def test_a_bad_rules_file_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        load_rules()
        .path.read_text("utf-8")
        .replace("brands: {}", "brands:\n  brand_a:\n    gmv_pace: {warn_belw: 0.5}\n"),
        "utf-8",
    )
    with pytest.raises(AlertConfigError, match=r"rules.yaml: brands.brand_a.gmv_pace: unknown setting"):
        load_rules(path)
