"""Differential test: the same deliveries give the same published marts whether they are loaded by
one fresh run over the whole scenario or arrive night by night, each night followed by the nightly
run (docs/marts_notes.md, "Nightly equals rebuild").

Scenario: `jd-pipeline generate` (2 brands, 2026-02-01..2026-04-05, small scale) plus every
restatement kind of `jd_pipeline.generate.restatements` (the test fails if one is missing).
Nightly side: the history delivered before the last JD_DIFF_NIGHTS (default 8) days is loaded by
one backfill run (a go-live), then each night copies the files delivered that day (mtime, Asia/
Shanghai) into the landing zone and runs that day. Every mart of the `marts` schema (what publish
copies) must match: row count and an order-independent checksum of all columns, per table. Both
sides run the groups that build the marts (ingest, staging, marts: `runtime/replay.py`); the gate,
KPIs, forecast, reports and publish only read them. `make bench` runs it at a larger scale
(`benchmarks/nightly_equals_rebuild.py`).
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta

import pytest

from jd_pipeline.generate.restatements import NIGHTS_NEEDED, RESTATEMENT_KINDS
from jd_pipeline.runtime.replay import Scenario, build_scenario, replay_nightly, run_full
from tests.e2e.test_nightly import data_dir_env

pytestmark = pytest.mark.slow

START, END = date(2026, 2, 1), date(2026, 4, 5)
NIGHTS = int(os.environ.get("JD_DIFF_NIGHTS", str(NIGHTS_NEEDED)))
SCALE = float(os.environ.get("JD_DIFF_SCALE", "0.01"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    return build_scenario(tmp_path_factory.mktemp("scenario"), START, END, SCALE)


def test_scenario_covers_every_restatement_kind(scenario) -> None:
    missing = sorted(set(RESTATEMENT_KINDS) - set(scenario.planted))
    assert not missing, f"the scenario lacks restatement kinds: {missing}"
    print("restatement kinds covered:", ", ".join(sorted(scenario.planted)))


@pytest.fixture(scope="module")
def outcomes(scenario, tmp_path_factory) -> dict[str, object]:
    full_root = tmp_path_factory.mktemp("full") / "data"
    nightly_root = tmp_path_factory.mktemp("nightly") / "data"
    with data_dir_env(full_root):
        full = run_full(scenario, full_root)
    with data_dir_env(nightly_root):
        nightly = replay_nightly(scenario, nightly_root, END + timedelta(days=1) - timedelta(days=NIGHTS))
    return {"full": full, "nightly": nightly, "full_root": full_root, "nightly_root": nightly_root}


def test_every_run_succeeds(outcomes) -> None:
    assert outcomes["full"].report.success, outcomes["full"].report.render()
    failed = [r.render() for r in outcomes["nightly"].reports if not r.success]
    assert not failed, failed[0]


def test_marts_identical(outcomes) -> None:
    from jd_pipeline.runtime.equality import compare, fingerprints

    full_db = outcomes["full_root"] / "warehouse" / "warehouse.duckdb"
    nightly_db = outcomes["nightly_root"] / "warehouse" / "warehouse.duckdb"
    figures = fingerprints(str(full_db))
    assert len(figures) >= 15 and sum(f.rows for f in figures.values()) > 1000, figures
    differences = compare(str(full_db), str(nightly_db))
    assert not differences, "\n".join(d.describe("full run", "nightly runs") for d in differences)
    print(
        f"{len(figures)} marts identical ({sum(f.rows for f in figures.values()):,} rows) after "
        f"{len(outcomes['nightly'].reports)} nightly runs"
    )


def test_verify_finds_the_nightly_warehouse_equal_to_a_rebuild(outcomes) -> None:
    from jd_pipeline.config import get_settings
    from jd_pipeline.runtime.verify import verify

    with data_dir_env(outcomes["nightly_root"]):
        result = verify(get_settings())
    assert result.equal, result.render()
    assert result.tables_compared >= 15


def test_verify_names_the_first_differing_keys(outcomes, tmp_path) -> None:
    import duckdb

    from jd_pipeline.config import get_settings
    from jd_pipeline.runtime.verify import verify

    root = tmp_path / "data"
    shutil.copytree(outcomes["nightly_root"] / "warehouse", root / "warehouse")
    shutil.copy(outcomes["nightly_root"] / "brands.yaml", root / "brands.yaml")
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb")) as conn:
        day, brand, sku = conn.execute(
            "select date_day, brand, sku_id from marts.fct_sell_in_daily order by all limit 1"
        ).fetchone()
        conn.execute(
            "update marts.fct_sell_in_daily set units_received = units_received + 1 "
            "where date_day = ? and brand = ? and sku_id = ?",
            [day, brand, sku],
        )
    with data_dir_env(root):
        result = verify(get_settings())
    assert not result.equal
    assert [d.table for d in result.differences] == ["fct_sell_in_daily"]
    assert result.differences[0].only_left[0][:3] == (day, brand, sku)
    assert sku in result.render()
