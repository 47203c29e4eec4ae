"""`jd-pipeline explain` traces a POP gmv figure and a P&L ledger line back to the delivered files
and their row numbers, on hand-made extracts run through the real pipeline (tests/e2e/fixtures.py:
business day 2025-03-10, brand acme)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import fixtures as fx
from tests.e2e.test_vertical_slice import REPO_ROOT
from tests.extract_files import write_extract

pytestmark = pytest.mark.integration  # runs the pipeline in a subprocess

# data rows 1..4: JD-POP commission 120.00 and ads 80.00, JD-自营 ads 50.00, JD-共享 platform fee 30.00
LEDGER_ROWS = [
    [
        "V001",
        "1",
        "2025-03-31",
        "2025-03",
        "JD-POP",
        "6601.04",
        "销售费用-佣金扣点",
        "京东",
        "3月佣金",
        "120.00",
        "0.00",
        "CNY",
    ],
    [
        "V001",
        "2",
        "2025-03-31",
        "2025-03",
        "JD-POP",
        "6601.01",
        "销售费用-广告费",
        "京东",
        "3月快车",
        "80.00",
        "0.00",
        "CNY",
    ],
    [
        "V002",
        "1",
        "2025-03-31",
        "2025-03",
        "JD-自营",
        "6601.01",
        "销售费用-广告费",
        "京东",
        "3月自营广告",
        "50.00",
        "0.00",
        "CNY",
    ],
    [
        "V003",
        "1",
        "2025-03-31",
        "2025-03",
        "JD-共享",
        "6601.03",
        "销售费用-平台使用费",
        "京东",
        "3月平台费",
        "30.00",
        "0.00",
        "CNY",
    ],
]


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """As tests/e2e's, with room for a pipeline run on a loaded machine."""
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
        timeout=2400,
        check=False,
    )


def write_ledger(landing: Path) -> Path:
    return write_extract(landing, f"fin_opex_actuals/{fx.BRAND}/2025-03/总账明细.csv", LEDGER_ROWS)


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    data_dir = tmp_path_factory.mktemp("explain") / "data"
    landing = data_dir / "landing"
    fx.write_brands(landing.parent)
    fx.write_products(landing)
    old = fx.write_pop_orders(landing, rows=fx.POP_ROWS[:2], name="orders_first.csv")
    os.utime(old, (time.time() - 3600, time.time() - 3600))  # delivered an hour before the full export
    pop = fx.write_pop_orders(landing)
    ledger = write_ledger(landing)
    result = run_cli(data_dir, "run", "--date", fx.DAY, "--no-publish")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return {"data_dir": data_dir, "pop": pop, "ledger": ledger, "old": old, "landing": landing}


def _explain(traced: dict[str, Path], *args: str) -> dict:
    result = run_cli(traced["data_dir"], "explain", *args, "--json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_pop_gmv_figure_traces_to_its_order_lines(traced: dict[str, Path]) -> None:
    answer = _explain(
        traced,
        "fct_sales_daily",
        f"brand={fx.BRAND}",
        f"date_day={fx.DAY}",
        "store_type=pop",
        "sku_id=100000000001",
    )
    assert answer["mart_rows"] == 1 and answer["totals"]["gmv"] == 300.0  # O1 2x100 + O2 1x100; O3 cancelled
    (feed,) = answer["feeds"]
    assert feed["source"] == "jd_pop_orders"
    (file,) = feed["files"]
    assert file["path"] == f"jd_pop_orders/{fx.BRAND}/{fx.DAY}/orders.csv"
    assert file["sha256"] == _sha(traced["pop"]) and file["status"] == "loaded" and file["delivered_at"]
    assert file["row_ranges"] == [[1, 1], [3, 3]] and file["rows"] == 2  # row 6 (O3, 已取消) is not behind it
    assert [(s["path"], s["status"]) for s in feed["superseded"]] == [
        (f"jd_pop_orders/{fx.BRAND}/{fx.DAY}/orders_first.csv", "replaced")
    ]


def test_a_partial_grain_explains_the_sum_of_the_day(traced: dict[str, Path]) -> None:
    answer = _explain(traced, "fct_sales_daily", f"brand={fx.BRAND}", f"date_day={fx.DAY}")
    assert answer["mart_rows"] == 3 and answer["totals"]["gmv"] == float(fx.EXPECTED_TOTAL_GMV)
    pop = next(f for f in answer["feeds"] if f["source"] == "jd_pop_orders")
    # dealt lines: O1 (rows 1, 2), O2 (3-5), O5 (8); O3 (6) cancelled, O4 (7) unpaid
    assert pop["files"][0]["row_ranges"] == [[1, 5], [8, 8]]
    assert all(not f["files"] for f in answer["feeds"] if f["source"] != "jd_pop_orders")  # no 自营 data


def test_a_pnl_ledger_line_traces_to_the_ledger_rows(traced: dict[str, Path]) -> None:
    answer = _explain(traced, "fct_ecom_pnl_monthly", f"brand={fx.BRAND}", "month=2025-03", "store_type=pop")
    assert answer["mart_rows"] == 1
    assert answer["totals"]["commission"] == 120.0 and answer["totals"]["ads"] == 80.0
    ledger = next(f for f in answer["feeds"] if f["source"] == "fin_opex_actuals")
    (file,) = ledger["files"]
    assert file["path"] == f"fin_opex_actuals/{fx.BRAND}/2025-03/总账明细.csv"
    assert file["sha256"] == _sha(traced["ledger"])
    assert file["row_ranges"] == [[1, 2], [4, 4]]  # JD-POP lines and the shared line allocated to POP
    orders = next(f for f in answer["feeds"] if f["source"] == "jd_pop_orders")
    assert orders["files"][0]["row_ranges"] == [[1, 5], [8, 8]]

    opex = _explain(
        traced,
        "fct_opex_monthly",
        f"brand={fx.BRAND}",
        "month=2025-03",
        "cost_center=pop",
        "cost_type=commission",
    )
    assert opex["totals"]["actual"] == 120.0
    assert opex["feeds"][0]["files"][0]["row_ranges"] == [[1, 1]]


def test_the_text_answer_and_the_errors(traced: dict[str, Path]) -> None:
    result = run_cli(
        traced["data_dir"],
        "explain",
        "fct_sales_daily",
        f"brand={fx.BRAND}",
        f"date_day={fx.DAY}",
        "store_type=pop",
    )
    assert result.returncode == 0, result.stderr
    assert f"jd_pop_orders/{fx.BRAND}/{fx.DAY}/orders.csv  (loaded)" in result.stdout
    assert "rows 6: 1-5, 8" in result.stdout and _sha(traced["pop"]) in result.stdout
    for planted in fx.PLANTED_PII + ["buyer_u1", "北京市朝阳区"]:
        assert planted not in result.stdout  # never a cell's content
    bad = run_cli(traced["data_dir"], "explain", "fct_sales_daily", "province=北京")
    assert bad.returncode == 2 and "'province' is not a grain column of fct_sales_daily" in bad.stderr
    unknown = run_cli(traced["data_dir"], "explain", "fct_nothing", "brand=x")
    assert unknown.returncode == 2 and "explainable marts:" in unknown.stderr
