"""A small but complete warehouse for the report tests: the dbt tests' hand-made raw fixture, a full
`dbt build`, the demand forecast written by our asset code, then the after-forecast models."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from jd_pipeline.brands import write_config_tables
from tests.dbt import fixture_data
from tests.dbt.support import load_raw_fixture, run_dbt


def write_forecast_for(db: Path) -> None:
    from jd_pipeline.forecast.data import horizon_for, load_panel, load_series, write_forecast
    from jd_pipeline.forecast.pipeline import make_forecast

    with duckdb.connect(str(db)) as conn:
        as_of = conn.execute("select max(date_day) from marts.fct_sales_daily").fetchone()[0]
        hz = horizon_for(as_of)
        history, future = load_panel(conn, hz)
        series = load_series(conn, history)
        output = make_forecast(history, future, series, hz.months, as_of)
        write_forecast(conn, hz, output, history, future, series)


@pytest.fixture(scope="session")
def report_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`$JD_DATA_DIR` with warehouse/warehouse.duckdb holding every mart (session-scoped: built once)."""
    data_dir = tmp_path_factory.mktemp("reports_wh")
    (data_dir / "warehouse").mkdir()
    db = data_dir / "warehouse" / "warehouse.duckdb"
    load_raw_fixture(db)
    with duckdb.connect(str(db)) as conn:
        write_config_tables(conn, fixture_data.BRANDS)  # brands.yaml, as the dbt tests' data dir has it
    run_dbt(data_dir, "build", "--exclude", "tag:after_forecast")
    write_forecast_for(db)
    run_dbt(data_dir, "build", "--select", "tag:after_forecast")
    from jd_pipeline.quality.results import ensure_dq_tables

    with duckdb.connect(str(db)) as conn:
        ensure_dq_tables(conn)
    return data_dir


REPORT_MONTH = "2026-03"


@pytest.fixture(scope="session")
def built_reports(report_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every report kind of the fixture month, rendered and published (HTML, xlsx, PDF) once per session."""
    import time

    from jd_pipeline.reporting import build as report_build
    from jd_pipeline.reporting.build import build_kind, publish

    root = tmp_path_factory.mktemp("reports")
    out: dict = {}
    with duckdb.connect(str(report_warehouse / "warehouse" / "warehouse.duckdb")) as conn:
        as_of = conn.execute("select max(as_of_date) from marts.fct_demand_forecast").fetchone()[0]
        for kind in report_build.REPORT_KINDS:
            started = time.perf_counter()
            # the rolling-plan report belongs to the forecast's month (April in the fixture)
            month = as_of.strftime("%Y-%m") if kind == "rolling_plan" else REPORT_MONTH
            out[kind] = build_kind(conn, kind, month, root)
            print(f"\n[build time] {kind}: {len(out[kind])} reports in {time.perf_counter() - started:.2f}s")
    started = time.perf_counter()
    publish([b for reports in out.values() for b in reports])
    print(f"\n[publish time incl. PDFs] {time.perf_counter() - started:.2f}s")
    return out
