"""Helpers shared by every test that runs dbt on a hand-built warehouse (tests/dbt, tests/reporting)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from jd_pipeline.brands import write_config_tables
from tests.dbt import fixture_data, raw_fixture

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

# Models owned by other workstreams (agency marts, forecast-based rolling plan) read inputs the hand-made
# fixture does not create; the dbt tests cover the warehouse models.
EXCLUDE = ["--exclude", "source:forecast+", "path:models/marts/agency"]


def load_raw_fixture(db: Path) -> None:
    """Create the raw tables and insert the hand-made rows of `fixture_data` into `db`."""
    with duckdb.connect(str(db)) as conn:
        raw_fixture.create_raw_tables(conn)
        fixture_data.load(conn)


def make_data_dir(root: Path) -> Path:
    (root / "warehouse").mkdir(parents=True, exist_ok=True)
    db = root / "warehouse" / "warehouse.duckdb"
    load_raw_fixture(db)
    with duckdb.connect(str(db)) as conn:
        write_config_tables(conn, fixture_data.BRANDS)
    return root


def run_dbt(
    data_dir: Path,
    *args: str,
    vars: dict | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    cmd = [
        str(DBT),
        *args,
        "--profiles-dir",
        str(DBT_PROJECT),
        "--project-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(data_dir / "dbt_target"),
        "--log-path",
        str(data_dir / "dbt_logs"),
    ]
    if vars:
        cmd += ["--vars", json.dumps(vars)]
    env = {
        **os.environ,
        "JD_DATA_DIR": str(data_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    proc = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


def rows(conn, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()
