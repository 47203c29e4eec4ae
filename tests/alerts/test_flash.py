"""The daily flash on the hand-made warehouse of tests/alerts/handmade.py (June 10, 2026, brand_a)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from jd_pipeline.alerts import outbox
from jd_pipeline.alerts.engine import run_alerts
from jd_pipeline.reporting.build import render
from jd_pipeline.reporting.flash import build_flash
from tests.alerts.handmade import AS_OF, add_check, day
from tests.alerts.test_rules import NOW


@pytest.fixture()
def flash_wh(wh: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    run_alerts(wh, AS_OF, NOW)
    wh.execute("create table marts.dim_sku (brand varchar, sku_id varchar, sku_name varchar)")
    wh.execute("insert into marts.dim_sku values ('brand_a', 'k3', '新品T恤'), ('brand_a', 'k4', '旧款短裤')")
    # k3 sells 500 on June 10 (up +500 vs June 3); k4 sold 300 on June 3 only (down −300)
    wh.execute(
        "insert into marts.fct_sales_daily values ('2026-06-10', 'brand_a', 'pop', 'k3', 500), "
        "('2026-06-03', 'brand_a', 'pop', 'k4', 300)"
    )
    return wh


def test_flash_figures_by_hand(flash_wh: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    report, card = build_flash(flash_wh, "brand_a", AS_OF, tmp_path)
    values = report.key_values()
    assert values["gmv_day"] == 12300.0  # pop 7000 + 500, self 4800
    assert values["gmv_mtd"] == 118800.0  # pop 70000 + 500 + 300, self 48000
    assert values["pace_ratio"] == pytest.approx(118800 / 150000)  # pace: pop 100000 + self 50000
    assert values["ads_cost_day"] == 2700.0  # 1000 + 1000 + 600 + 100
    assert values["ads_roi_day"] == pytest.approx(7000 / 2700)  # 2000 + 3800 + 1200 + 0
    assert values["open_alerts"] == 11.0 and values["dq_failed_checks"] == 1.0
    stores = report.sections[0].tables[0].frame
    pop = stores[stores["store_type"] == "POP店"].iloc[0]
    assert float(pop["gmv_mtd"]) == 70800.0 and float(pop["plan_pace"]) == pytest.approx(100000.0)
    movers = report.sections[1].tables[0].frame
    assert [(r["direction"], r["sku_id"], float(r["change"])) for r in movers.to_dict("records")] == [
        ("上升", "k3", 500.0),
        ("下降", "k4", -300.0),
    ]
    html = (
        render(report, tmp_path, 0.0).files[tmp_path / "brand_a" / "2026-06-10" / "daily_flash.html"].decode()
    )
    assert 'data-key="gmv_day" data-value="12300.0"' in html
    assert "jd-pipeline explain fct_sales_daily brand=brand_a date_day=2026-06-10" in html
    assert card.dedupe_key == "flash:brand_a:2026-06-10"
    assert card.lines[0] == "昨日 GMV ¥12,300 (POP店 ¥7,500 · 自营 ¥4,800)"
    assert card.lines[1:] == [
        "本月计划进度 79%",
        "广告花费 ¥2,700 · ROI 2.59",
        "未恢复告警 11 (严重 6)",
        "数据质量: 失败检查 1",
    ]
    assert card.link == (tmp_path / "brand_a" / "2026-06-10" / "daily_flash.html").resolve().as_uri()


@pytest.mark.integration
def test_the_asset_writes_the_flash_and_queues_one_card(
    flash_wh: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jd_pipeline.defs.flash import daily_flash
    from jd_pipeline.defs.resources import WarehouseResource

    add_check(flash_wh, "recon_order_totals", True, "error", day(9), day(11), datetime(2026, 6, 11, 2, 0))
    monkeypatch.setenv("JD_REPORTS_BASE_URL", "https://bi.example.com/reports/")
    db = flash_wh.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    flash_wh.close()
    for _ in range(2):  # a re-run rewrites the files but queues the card once
        dg.materialize(
            [daily_flash], resources={"warehouse": WarehouseResource(database=db)}, partition_key="2026-06-10"
        )
    data_dir = Path(os.environ["JD_DATA_DIR"])
    assert (data_dir / "reports" / "brand_a" / "2026-06-10" / "daily_flash.html").exists()
    assert (data_dir / "reports" / "brand_a" / "2026-06-10" / "daily_flash.xlsx").exists()
    with outbox.open_outbox() as box:
        rows = box.execute(
            "select dedupe_key, json_extract(payload, '$.link') from messages where kind = 'flash'"
        ).fetchall()
    assert rows == [
        ("flash:brand_a:2026-06-10", "https://bi.example.com/reports/brand_a/2026-06-10/daily_flash.html")
    ]
