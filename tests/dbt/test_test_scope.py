"""dbt tests of the day-grain models read the run's window (macros/test_window_scope.sql): a broken
row inside the window fails them, one outside it is left to the weekly whole-table run, which fails."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.dbt.support import EXCLUDE, make_data_dir, run_dbt

pytestmark = pytest.mark.dbt  # runs dbt itself (support.run_dbt)

UNIQUE_TEST = "unique_combination_of_columns_fct_sales_daily"


def window(day: str, whole_tables: bool = False) -> dict[str, str]:
    return {"JD_DBT_MIN_DATE": day, "JD_DBT_MAX_DATE": day, "JD_DBT_DQ_FULL_SCOPE": str(whole_tables).lower()}


@pytest.fixture(scope="module")
def duplicated_day(tmp_path_factory) -> Path:
    """A built warehouse whose fct_sales_daily holds one row twice, on 2026-03-01."""
    data_dir = make_data_dir(tmp_path_factory.mktemp("jd_scope"))
    run_dbt(data_dir, "build", *EXCLUDE)
    conn = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"))
    conn.execute(
        "insert into marts.fct_sales_daily select * from marts.fct_sales_daily "
        "where date_day = date '2026-03-01' limit 1"
    )
    conn.close()
    return data_dir


def sales_tests(data_dir: Path, env: dict[str, str]):
    return run_dbt(data_dir, "test", "--select", "fct_sales_daily", check=False, env=env)


def test_duplicate_outside_the_window_passes_the_nightly_tests(duplicated_day):
    proc = sales_tests(duplicated_day, window("2026-04-01"))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "PASS" in proc.stdout and UNIQUE_TEST in proc.stdout


def test_duplicate_inside_the_window_fails(duplicated_day):
    proc = sales_tests(duplicated_day, window("2026-03-01"))
    assert proc.returncode != 0
    assert f"Failure in test {UNIQUE_TEST}" in proc.stdout


@pytest.mark.parametrize(
    "env", [window("2026-04-01", whole_tables=True), {}], ids=["whole-table night", "no window"]
)
def test_whole_table_runs_catch_it(duplicated_day, env):
    proc = sales_tests(duplicated_day, {"JD_DBT_MIN_DATE": "", "JD_DBT_MAX_DATE": "", **env})
    assert proc.returncode != 0
    assert f"Failure in test {UNIQUE_TEST}" in proc.stdout


def test_vars_given_by_hand_take_precedence_over_the_environment(duplicated_day):
    proc = run_dbt(
        duplicated_day,
        "test",
        "--select",
        "fct_sales_daily",
        check=False,
        env=window("2026-04-01"),
        vars={"min_date": "2026-03-01", "max_date": "2026-03-01"},
    )
    assert proc.returncode != 0
    assert f"Failure in test {UNIQUE_TEST}" in proc.stdout
