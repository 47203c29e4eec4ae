"""End to end through Dagster: hand-made extracts -> ingest -> dbt -> gate -> KPI -> report -> publish."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.e2e import fixtures as fx

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "JD_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "JD_PARTITIONS_START": "2025-03-01",
        "JD_BUYER_SALT": "test-salt-e2e",
    }
    env.pop("JD_DEMO_MODE", None)
    return subprocess.run(
        [sys.executable, "-m", "jd_pipeline.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_definitions_load() -> None:
    import dagster as dg

    from jd_pipeline.definitions import defs

    dg.Definitions.validate_loadable(defs)
    groups = {node.group_name for node in defs.resolve_asset_graph().asset_nodes}
    assert {"ingest", "staging", "marts"} <= groups


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    landing = data_dir / "landing"
    fx.write_brands(landing.parent)
    fx.write_products(landing)
    fx.write_pop_orders(landing)
    result = run_cli(data_dir, "run", "--date", fx.DAY)
    return data_dir, result


def test_run_succeeds(good_run) -> None:
    _, result = good_run
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_pop_sales_daily_matches_hand_totals(good_run) -> None:
    data_dir, _ = good_run
    rows = query(
        data_dir / "warehouse" / "warehouse.duckdb",
        f"""select sku_id, units, gmv, net_sales, orders, buyers from marts.fct_sales_daily
            where date_day = date '{fx.DAY}' and brand = '{fx.BRAND}' and store_type = 'pop'
            order by sku_id""",
    )
    got = {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}
    expected = {
        sku: (units, Decimal(gmv), Decimal(net), orders, buyers)
        for sku, (units, gmv, net, orders, buyers) in fx.EXPECTED_POP_SALES.items()
    }
    assert got == expected
    assert sum(v[1] for v in got.values()) == Decimal(fx.EXPECTED_TOTAL_GMV)
    assert sum(v[2] for v in got.values()) == Decimal(fx.EXPECTED_TOTAL_NET)


def test_published_copy_matches_warehouse(good_run) -> None:
    data_dir, _ = good_run
    sql = "select sum(gmv), sum(net_sales), count(*) from marts.fct_sales_daily"
    served = data_dir / "serving" / "warehouse.duckdb"
    assert served.exists()
    assert query(served, sql) == query(data_dir / "warehouse" / "warehouse.duckdb", sql)


def test_kpi_and_report_built(good_run) -> None:
    data_dir, _ = good_run
    reports = [p for p in (data_dir / "reports" / fx.BRAND).rglob("*") if p.is_file()]
    assert reports, "no report written"
    kpis = query(
        data_dir / "warehouse" / "warehouse.duckdb",
        f"select gmv, net_sales from kpi.headline_daily where date_day = date '{fx.DAY}' "
        f"and brand = '{fx.BRAND}'",
    )
    assert kpis == [(Decimal(fx.EXPECTED_TOTAL_GMV), Decimal(fx.EXPECTED_TOTAL_NET))]


def test_failing_blocking_check_stops_kpi_and_reports(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    landing = data_dir / "landing"
    fx.write_brands(landing.parent)
    fx.write_products(landing)
    bad = [list(row) for row in fx.POP_ROWS]
    bad[0][fx.POP_HEADERS.index("订单状态")] = "外星状态"  # not a 京麦 order status
    fx.write_pop_orders(landing, rows=bad)
    result = run_cli(data_dir, "run", "--date", fx.DAY)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "failed check" in output
    assert "jd_pop_orders" in output
    assert not (data_dir / "reports" / fx.BRAND).exists()
    assert not (data_dir / "serving" / "warehouse.duckdb").exists()
