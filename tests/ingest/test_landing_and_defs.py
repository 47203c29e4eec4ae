"""Landing scan (sensor API), status helpers, contracts, and the Dagster ingest assets."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from jd_pipeline.contracts import get_contract, header_has_percent, load_contracts, normalize_header
from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.ingest import latest_periods, load_partition_range, scan_landing, unseen_files
from tests.extract_files import write_csv
from tests.ingest.helpers import SALT, set_mtime
from tests.ingest.samples import (
    ADS_HEADERS,
    POP_HEADERS,
    POP_ROWS,
    ads_rows,
    sample_jd_sz_sku,
    sample_tp_team_kpi,
)


def test_header_normalisation() -> None:
    assert normalize_header(" 成交金额 ") == normalize_header("成交金额")
    assert normalize_header("实际值（自报）") == normalize_header("实际值(自报)")
    assert normalize_header("点击率(%)") == normalize_header("点击率") == normalize_header("点击率（%）")
    assert normalize_header("跟单SKU\u3000ID") == normalize_header("跟单SKU ID")
    assert header_has_percent("成交转化率（%）") and not header_has_percent("成交转化率")


def test_contracts_cover_sources_md() -> None:
    contracts = load_contracts()
    assert len(contracts) == 17
    kinds = {name: c.period_kind for name, c in contracts.items()}
    assert kinds["jd_sz_industry"] == "monthly" and kinds["fin_opex_actuals"] == "monthly"
    assert kinds["tp_team_kpi"] == "quarterly"
    assert {
        kinds[s] for s in ("tp_campaign_plan", "fin_sales_plan", "fin_opex_budget", "fin_region_budget")
    } == {"yearly"}
    assert kinds["ref_regions"] == "daily"
    pop = contracts["jd_pop_orders"]
    assert [n for n, _ in pop.output_columns()][14:16] == ["buyer_key", "province"]
    assert not {"客户姓名", "联系电话", "订单备注", "商家备注"} & {c.header for c in pop.stored_columns}


def test_scan_landing_gives_sensor_fields(landing: Path) -> None:
    sample_jd_sz_sku(landing)
    sample_tp_team_kpi(landing)
    path = write_csv(
        landing,
        "jd_ads/acme/2026-03-01/report_pulled20260305.csv",
        ADS_HEADERS,
        ads_rows(),
        encoding="utf-8",
        bom=True,
    )
    set_mtime(path, 1_700_000_000)
    files = {f.relpath: f for f in scan_landing(landing)}
    assert sorted(files) == [
        "jd_ads/acme/2026-03-01/report_pulled20260305.csv",
        "jd_sz_sku/acme/pop/2026-03-01/sku.xlsx",
        "jd_sz_sku/acme/self/2026-03-01/sku.xlsx",
        "tp_team_kpi/acme/2026Q1/kpi.xlsx",
    ]
    ads = files["jd_ads/acme/2026-03-01/report_pulled20260305.csv"]
    assert (ads.source, ads.brand, ads.store, ads.period, ads.partition_key) == (
        "jd_ads",
        "acme",
        None,
        "2026-03-01",
        "2026-03-01",
    )
    assert ads.pulled_on == date(2026, 3, 5) and ads.file_key == "report.csv"
    st = path.stat()
    assert ads.fingerprint == f"{st.st_size}:{1_700_000_000 * 10**9}:{st.st_ctime_ns}:{st.st_ino}"
    kpi = files["tp_team_kpi/acme/2026Q1/kpi.xlsx"]
    assert (kpi.period, kpi.partition_key) == ("2026Q1", "2026-01")
    assert files["jd_sz_sku/acme/self/2026-03-01/sku.xlsx"].store == "self"
    assert [f.relpath for f in scan_landing(landing, "tp_team_kpi")] == ["tp_team_kpi/acme/2026Q1/kpi.xlsx"]
    assert scan_landing(landing / "missing") == []


def test_unseen_files_for_the_sensor(landing: Path, conn) -> None:
    assert unseen_files(conn, scan_landing(landing)) == []  # no manifest yet, nothing landed
    path = write_csv(landing, "jd_pop_orders/acme/2026-03-01/orders.csv", POP_HEADERS, POP_ROWS)
    set_mtime(path, 1_700_000_000)
    assert [f.relpath for f in unseen_files(conn, scan_landing(landing))] == [
        "jd_pop_orders/acme/2026-03-01/orders.csv"
    ]
    load_partition_range(conn, get_contract("jd_pop_orders"), "2026-03-01", "2026-03-01", landing, salt=SALT)
    assert unseen_files(conn, scan_landing(landing)) == []  # already seen: the sensor does nothing
    set_mtime(path, 1_700_000_500)  # touched, same bytes
    assert len(unseen_files(conn, scan_landing(landing))) == 1
    summary = load_partition_range(
        conn, get_contract("jd_pop_orders"), "2026-03-01", "2026-03-01", landing, salt=SALT
    )
    assert [f.status for f in summary.files] == ["skipped"]
    assert unseen_files(conn, scan_landing(landing)) == []


def test_latest_periods_and_partial_deliveries(landing: Path, conn) -> None:
    assert latest_periods(conn) == []
    for day in ("2026-03-01", "2026-03-02"):
        rows = [[*r[:5], f"{day} 10:00:00", *r[6:]] for r in POP_ROWS]
        write_csv(landing, f"jd_pop_orders/acme/{day}/orders.csv", POP_HEADERS, rows)
    write_csv(landing, "jd_pop_orders/beta/2026-03-01/orders.csv", POP_HEADERS, POP_ROWS)
    summary = load_partition_range(
        conn, get_contract("jd_pop_orders"), "2026-03-01", "2026-03-03", landing, salt=SALT
    )
    assert len(summary.files) == 3  # 03-03 missing: nothing recorded for it
    assert (
        load_partition_range(
            conn, get_contract("jd_ads"), "2026-03-01", "2026-03-03", landing, salt=SALT
        ).files
        == []
    )
    got = {(r["source"], r["brand"]): r["newest_period"] for r in latest_periods(conn)}
    assert got == {("jd_pop_orders", "acme"): "2026-03-02", ("jd_pop_orders", "beta"): "2026-03-01"}
    assert conn.execute("SELECT count(*) FROM ops.load_manifest WHERE source = 'jd_ads'").fetchone()[0] == 0


def test_ingest_definitions() -> None:
    from jd_pipeline.defs.ingest import defs, ingest_assets

    assert defs.assets is not None and len(list(defs.assets)) == 17
    # resources come from jd_pipeline.definitions (the one Definitions); validate with them bound
    dg.Definitions.validate_loadable(
        dg.Definitions(assets=ingest_assets, resources={"warehouse": WarehouseResource()})
    )
    assert len(ingest_assets) == 17
    for asset in ingest_assets:
        (key,) = asset.keys
        source = key.path[1]
        contract = load_contracts()[source]
        assert key.path[0] == "raw"
        assert asset.group_names_by_key[key] == "ingest"
        assert asset.partitions_def == PARTITIONS_BY_PERIOD_KIND[contract.period_kind]
        assert asset.backfill_policy == dg.BackfillPolicy.single_run()
        assert "duckdb" in asset.specs_by_key[key].kinds
        assert asset.descriptions_by_key[key]
        assert "warehouse" in asset.required_resource_keys
        assert (
            next(iter(asset.node_def.pools)) == WAREHOUSE_POOL if hasattr(asset.node_def, "pools") else True
        )


@pytest.mark.integration
@pytest.mark.parametrize(
    "source,start,end", [("jd_pop_orders", "2026-03-01", "2026-03-02"), ("tp_team_kpi", "2026-01", "2026-01")]
)
def test_asset_materializes_a_partition_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, start: str, end: str
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("JD_DATA_DIR", str(data))
    if source == "jd_pop_orders":
        for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
            rows = [[*r[:5], f"{day} 10:00:00", *r[6:]] for r in POP_ROWS]
            write_csv(data / "landing", f"jd_pop_orders/acme/{day}/orders.csv", POP_HEADERS, rows)
        expected_rows = 8
    else:
        sample_tp_team_kpi(data / "landing")
        expected_rows = 2
    from jd_pipeline.defs.ingest import ingest_assets

    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", source]))
    result = dg.materialize(
        [asset],
        resources={"warehouse": WarehouseResource()},
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
    )
    assert result.success
    mats = result.asset_materializations_for_node(asset.node_def.name)
    assert len(mats) == (2 if source == "jd_pop_orders" else 1)  # one per partition of the range
    meta = mats[0].metadata
    assert meta["dagster/row_count"].value == expected_rows
    assert meta["rows_loaded"].value == expected_rows
    assert meta["rows_read"].value == meta["rows_loaded"].value + meta["rows_quarantined"].value
    assert meta["files_loaded"].value == (2 if source == "jd_pop_orders" else 1)
    assert meta["rejected_files"].value == {}
    assert os.path.exists(data / "warehouse" / "warehouse.duckdb")


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("jd_month('2026-10')", "2026-10"),
        ("jd_month('2026-1')", "2026-01"),
        ("jd_month('202612')", "2026-12"),
        ("jd_month('2026年11月')", "2026-11"),
        ("jd_month('2026-10-01 00:00:00')", "2026-10"),
        ("jd_month('2026-13')", None),
        ("jd_quarter('2026-q3')", "2026Q3"),
        ("CAST(jd_date_v('2026/10/5') AS VARCHAR)", "2026-10-05"),
        ("CAST(jd_date_v('20261231') AS VARCHAR)", "2026-12-31"),
        ("CAST(jd_date_v('46082') AS VARCHAR)", "2026-03-01"),
        ("CAST(jd_timestamp_v('0001-01-01 00:00:00') AS VARCHAR)", None),
        ("CAST(jd_timestamp_v('2026/3/1 9:05:00') AS VARCHAR)", "2026-03-01 09:05:00"),
        ("CAST(jd_money_v('￥1,234.5') AS VARCHAR)", "1234.50"),
        ("CAST(jd_int_v('12.5') AS VARCHAR)", None),
        ("CAST(jd_int_v('1,200') AS VARCHAR)", "1200"),
        ("jd_id('100012345678.0')", "100012345678"),
        ("jd_text(jd_null(jd_trim('\u3000A &amp; B ')))", "A & B"),
        ("jd_null(jd_trim(' — '))", None),
        ("jd_province('黑龙江省哈尔滨市')", "黑龙江"),
        ("CAST(amount_range_low('1亿~2亿') AS VARCHAR)", "100000000.00"),
    ],
)
def test_parsing_macros(expr: str, expected: object) -> None:
    import duckdb

    from jd_pipeline.ingest.sql import install_macros

    conn = duckdb.connect()
    install_macros(conn)
    assert conn.execute(f"SELECT {expr}").fetchone()[0] == expected
