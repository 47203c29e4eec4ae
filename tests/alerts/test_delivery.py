"""Delivery to a local robot server in the three platforms' formats, with signatures, retries and
no resend after a restart of the sensor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from jd_pipeline.alerts import outbox
from jd_pipeline.alerts.deliver import deliver_pending
from jd_pipeline.alerts.engine import run_alerts
from jd_pipeline.alerts.webhooks import channels_from_env
from jd_pipeline.defs.alerts import alert_delivery_sensor, sync_outbox
from tests.alerts.handmade import AS_OF
from tests.alerts.test_rules import EXPECTED, NOW, _fix_everything
from tests.alerts.webhook_server import RobotServer

DING_SECRET = "SECtest-dingtalk-secret"
FEISHU_SECRET = "test-feishu-secret"


@pytest.fixture()
def robots(monkeypatch: pytest.MonkeyPatch) -> Iterator[RobotServer]:
    server = RobotServer(DING_SECRET, FEISHU_SECRET).start()
    monkeypatch.setenv("JD_ALERT_WECOM_URL", f"{server.base}/wecom/cgi-bin/webhook/send?key=wk-1")
    monkeypatch.setenv("JD_ALERT_DINGTALK_URL", f"{server.base}/dingtalk/robot/send?access_token=dt-1")
    monkeypatch.setenv("JD_ALERT_DINGTALK_SECRET", DING_SECRET)
    monkeypatch.setenv("JD_ALERT_FEISHU_URL", f"{server.base}/feishu/open-apis/bot/v2/hook/fs-1")
    monkeypatch.setenv("JD_ALERT_FEISHU_SECRET", FEISHU_SECRET)
    yield server
    server.stop()


def _tick() -> str:
    """One evaluation of the real sensor, as the daemon runs it (a fresh context every time)."""
    with dg.instance_for_test() as instance:
        result = alert_delivery_sensor(dg.build_sensor_context(instance=instance))
    return result.skip_message if isinstance(result, dg.SkipReason) else str(result)


def _keys(text: str) -> set[str]:
    return {k for k in EXPECTED if f"`{k}`" in text or f"({k})" in text}


def test_new_alerts_reach_the_three_robots_signed(wh: duckdb.DuckDBPyConnection, robots: RobotServer) -> None:
    run_alerts(wh, AS_OF, NOW)
    assert sync_outbox(wh) == len(EXPECTED)
    _tick()
    wecom, ding, feishu = robots.of("wecom"), robots.of("dingtalk"), robots.of("feishu")
    assert len(wecom) == len(ding) == len(feishu) == 1  # 11 events in one batch per channel
    assert wecom[0].query == {"key": "wk-1"} and wecom[0].body["msgtype"] == "markdown"
    assert _keys(wecom[0].body["markdown"]["content"]) == set(EXPECTED)
    assert ding[0].signature_ok is True and ding[0].query["access_token"] == "dt-1"
    assert abs(int(ding[0].query["timestamp"]) / 1000 - datetime.now().timestamp()) < 60
    assert ding[0].body["msgtype"] == "markdown" and _keys(ding[0].body["markdown"]["text"]) == set(EXPECTED)
    assert feishu[0].signature_ok is True and feishu[0].body["msg_type"] == "text"
    assert _keys(feishu[0].body["content"]["text"]) == set(EXPECTED)
    assert "新增 11 · 恢复 0" in feishu[0].body["content"]["text"]


@pytest.mark.integration
def test_a_restarted_sensor_sends_only_what_is_new(
    wh: duckdb.DuckDBPyConnection, robots: RobotServer
) -> None:
    run_alerts(wh, AS_OF, NOW)
    sync_outbox(wh)
    _tick()
    assert _tick() == "nothing to deliver"  # a new context and instance: the state is in the outbox file
    run_alerts(wh, AS_OF, NOW + timedelta(minutes=5))  # nothing new fires
    assert sync_outbox(wh) == 0
    _tick()
    assert len(robots.received) == 3

    _fix_everything(wh)
    run_alerts(wh, AS_OF, NOW + timedelta(hours=1))
    assert sync_outbox(wh) == len(EXPECTED)  # the resolves
    assert sync_outbox(wh) == 0  # copying twice queues nothing twice
    _tick()
    _tick()
    assert len(robots.received) == 6
    text = robots.of("feishu")[-1].body["content"]["text"]
    assert "新增 0 · 恢复 11" in text and text.count("✅ 已恢复") == 11


def test_a_refused_or_failing_post_is_retried_not_duplicated(
    wh: duckdb.DuckDBPyConnection, robots: RobotServer, tmp_path: Path
) -> None:
    run_alerts(wh, AS_OF, NOW)
    sync_outbox(wh)
    wecom = [c for c in channels_from_env() if c.name == "wecom"]
    robots.fail_next = 2  # HTTP 500 twice, then accepted on the third attempt of the same round
    report = deliver_pending(wecom, attempts=3, backoff_seconds=0)
    assert report.sent == {"wecom": 1} and len(robots.of("wecom")) == 1
    with outbox.open_outbox() as box:
        assert box.execute("select distinct attempts from deliveries").fetchall() == [(3,)]

    ding = [c for c in channels_from_env() if c.name == "dingtalk"]
    robots.refuse_next = 3  # errcode != 0 every attempt of the round: stays pending
    report = deliver_pending(ding, attempts=3, backoff_seconds=0)
    assert report.sent == {} and "dingtalk: not delivered after 3 attempt(s): code 310000" in report.errors[0]
    assert "dt-1" not in report.errors[0] and "127.0.0.1" not in report.errors[0]
    report = deliver_pending(ding, attempts=3, backoff_seconds=0)  # the next round gets through
    assert report.sent == {"dingtalk": 1} and len(robots.of("dingtalk")) == 1
    assert deliver_pending(ding, attempts=3, backoff_seconds=0).sent == {}


def test_a_wrong_secret_is_refused_by_the_platform(
    wh: duckdb.DuckDBPyConnection, robots: RobotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_alerts(wh, AS_OF, NOW)
    sync_outbox(wh)
    monkeypatch.setenv("JD_ALERT_FEISHU_SECRET", "not-the-secret")
    feishu = [c for c in channels_from_env() if c.name == "feishu"]
    report = deliver_pending(feishu, attempts=2, backoff_seconds=0)
    assert robots.of("feishu") == [] and "code 19021" in report.errors[0]


def test_flash_cards_go_alone_with_their_link(wh: duckdb.DuckDBPyConnection, robots: RobotServer) -> None:
    with outbox.open_outbox() as box:
        card = {"title": "brand_a 日报 2026-06-10", "lines": ["GMV ¥1,000"], "link": "http://reports/x.html"}
        assert outbox.enqueue(box, "flash:brand_a:2026-06-10", "flash", card)
        assert not outbox.enqueue(box, "flash:brand_a:2026-06-10", "flash", card)
    _tick()
    body = robots.of("wecom")[0].body["markdown"]["content"]
    assert body.startswith("### brand_a 日报 2026-06-10") and "[查看日报](http://reports/x.html)" in body
    assert (
        json.dumps(robots.of("feishu")[0].body, ensure_ascii=False).count("查看日报: http://reports/x.html")
        == 1
    )


def test_no_channel_configured_is_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("JD_ALERT_WECOM_URL", "JD_ALERT_DINGTALK_URL", "JD_ALERT_FEISHU_URL"):
        monkeypatch.delenv(var, raising=False)
    assert _tick() == "no JD_ALERT_*_URL configured"


@pytest.mark.integration
def test_the_asset_evaluates_the_last_day_of_its_window(
    wh: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from jd_pipeline.defs.alerts import fct_alerts
    from jd_pipeline.defs.resources import WarehouseResource

    db = wh.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    wh.close()
    result = dg.materialize(
        [fct_alerts],
        resources={"warehouse": WarehouseResource(database=db)},
        tags={
            "dagster/asset_partition_range_start": "2026-06-01",
            "dagster/asset_partition_range_end": "2026-06-10",
        },
    )
    meta = result.asset_materializations_for_node("marts__fct_alerts")[0].metadata
    assert meta["as_of_day"].value == "2026-06-10"
    # evaluated at the wall clock (December 2026) but judged at the latest at the end of June 11: only
    # jd_pop_orders (due 01:00 UTC) is late, not jd_ads nor jd_vc_inventory (due 22:00 UTC)
    keys = {r[0] for r in duckdb.connect(db).execute("select alert_key from marts.fct_alerts").fetchall()}
    assert keys == set(EXPECTED)
    assert meta["opened"].value == meta["queued_for_delivery"].value == len(keys)
    with outbox.open_outbox() as box:
        assert box.execute("select count(*) from messages where kind = 'alert_event'").fetchone()[0] == len(
            keys
        )


def test_after_a_failed_run_the_alerts_run_for_its_last_day() -> None:
    from datetime import date

    from jd_pipeline.defs.alerts import failed_run_day

    today = date(2026, 7, 2)
    assert failed_run_day({"dagster/asset_partition_range_end": "2026-06-30"}, today) == "2026-06-30"
    assert failed_run_day({"dagster/partition": "2026-06-15"}, today) == "2026-06-15"
    assert failed_run_day({"dagster/partition": "2026-07-05"}, today) == "2026-07-01"  # never past yesterday
    assert failed_run_day({"dagster/partition": "2026Q2"}, today) == "2026-07-01"
    assert failed_run_day({}, today) == "2026-07-01"
