"""The Dagster assets of group `kpi` on a hand-made warehouse: the forecast asset writes
marts.fct_demand_forecast and puts WAPE vs seasonal naive in its metadata; headline_daily (the dbt
step `dbt_after_gate`) shows its table in the metadata; both refuse to run when the gate is closed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from jd_pipeline.defs.kpi import HEADLINE_KEY, fct_demand_forecast
from jd_pipeline.defs.resources import WarehouseResource
from jd_pipeline.defs.transform import DBT_ASSETS, dbt_resource

# The dbt step that builds models/kpi after the quality gate.
headline_daily = next(a for a in DBT_ASSETS if HEADLINE_KEY in a.keys)

SALES = """
create schema marts; create schema intermediate;
create table marts.fct_sales_daily as
with days as (select unnest(generate_series(date '2025-01-01', date '2026-06-30', interval 1 day))::date as d),
skus as (select 'K' || i as sku_id, 2 + i % 5 as base, (i % 3) * 0.02 as growth from range(12) t(i))
select d as date_day, 'b1' as brand, 'pop' as store_type, sku_id,
       cast(round(base * pow(1 + growth, datediff('month', date '2025-01-01', d))
             * (case when month(d) = 6 and day(d) <= 18 then 3 when month(d) = 11 and day(d) <= 11 then 3.5
                     else 1 end) * (1 + 0.3 * ((hash(d, sku_id) % 100) / 100.0 - 0.5))) as bigint) as units,
       cast(0 as decimal(18,2)) as gmv, cast(0 as decimal(18,2)) as net_sales, 1::bigint as orders, 1::bigint as buyers
from days, skus;
update marts.fct_sales_daily set gmv = units * 99, net_sales = units * 90;
create table intermediate.int_sales_plan__versions as
select 'b1' as brand, cast(m as date) as month_start, 100000.00::decimal(18,2) as target_gmv, true as is_current
from generate_series(date '2025-01-01', date '2026-12-01', interval 1 month) t(m);
create table marts.fct_ads_daily as select date '2026-06-30' as date_day, 'b1' as brand,
       10.00::decimal(18,2) as cost, 50.00::decimal(18,2) as total_order_amount;
create table marts.fct_traffic_daily as select date '2026-06-30' as date_day, 'b1' as brand,
       100::bigint as visitors, 5::bigint as deal_buyers;
create table marts.fct_opex_monthly (brand varchar, month_start date, actual decimal(18,2));
"""
BRANDS_YAML = """brands:
  - code: b1
    jd_brand_names: [B1]
    stores: [pop]
    pop_commission_rates: {'*': 0.06}
"""


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from jd_pipeline.quality.results import ensure_dq_tables

    monkeypatch.setenv("JD_DATA_DIR", str(tmp_path))
    (tmp_path / "brands.yaml").write_text(BRANDS_YAML, encoding="utf-8")
    db = tmp_path / "warehouse" / "warehouse.duckdb"
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as conn:
        conn.execute(SALES)
        ensure_dq_tables(conn)
    return db


def _run(asset: dg.AssetsDefinition, db: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [asset],
        partition_key="2026-06-30",
        resources={"warehouse": WarehouseResource(database=str(db)), "dbt": dbt_resource()},
        raise_on_error=False,
    )


@pytest.mark.integration
def test_forecast_asset_metadata_and_table(warehouse: Path) -> None:
    result = _run(fct_demand_forecast, warehouse)
    assert result.success
    meta = result.asset_materializations_for_node(fct_demand_forecast.op.name)[0].metadata
    assert meta["as_of_date"].value == "2026-06-30"
    assert meta["dagster/row_count"].value == 12 * 3
    assert meta["beats_baseline"].value is True
    assert meta["backtest_wape"].value <= meta["baseline_wape"].value
    assert 0.0 <= meta["interval_coverage_80"].value <= 1.0
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        months = [
            r[0]
            for r in conn.execute(
                "select distinct month from marts.fct_demand_forecast order by 1"
            ).fetchall()
        ]
        wapes = conn.execute(
            "select count(*) from marts.fct_demand_forecast where backtest_wape is null"
        ).fetchone()[0]
    assert months == ["2026-07", "2026-08", "2026-09"] and wapes == 0


@pytest.mark.integration
def test_headline_asset_metadata(warehouse: Path) -> None:
    result = _run(headline_daily, warehouse)
    assert result.success
    [materialization] = result.asset_materializations_for_node(headline_daily.op.name)
    meta = materialization.metadata
    assert materialization.asset_key == HEADLINE_KEY and meta["table"].value == "kpi.headline_daily"
    records = meta["headline"].value.records
    assert [r.data["brand"] for r in records] == ["b1"]
    assert records[0].data["ads_roi"] == pytest.approx(5.0)
    assert "b1" in meta["headline_markdown"].value


@pytest.mark.integration
def test_closed_gate_stops_kpi_assets(warehouse: Path) -> None:
    from jd_pipeline.quality.results import CheckOutcome, write_outcomes
    from jd_pipeline.quality.windows import Window

    with duckdb.connect(str(warehouse)) as conn:
        write_outcomes(
            conn,
            [
                CheckOutcome(
                    "planted",
                    "raw/jd_pop_orders",
                    False,
                    "error",
                    "x",
                    Window(date(2026, 6, 30), date(2026, 7, 1), "2026-06-30"),
                )
            ],
            "t",
        )
    assert not _run(fct_demand_forecast, warehouse).success
    held = _run(headline_daily, warehouse)
    assert not held.success
    [failure] = [e for e in held.all_events if e.is_step_failure]
    assert "data-quality gate closed" in failure.step_failure_data.error.message
    assert "planted on raw/jd_pop_orders" in failure.step_failure_data.error.message
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = {r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()}
    assert "fct_demand_forecast" not in tables and "headline_daily" not in tables
