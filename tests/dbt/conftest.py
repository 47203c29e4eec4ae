"""Shared fixtures for the dbt tests: a temp JD_DATA_DIR with hand-made raw tables, and one dbt build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.dbt.support import EXCLUDE, make_data_dir, run_dbt


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> Path:
    data_dir = make_data_dir(tmp_path_factory.mktemp("jd_data"))
    run_dbt(data_dir, "build", *EXCLUDE)
    return data_dir


@pytest.fixture(scope="session")
def wh(built_warehouse):
    conn = duckdb.connect(str(built_warehouse / "warehouse" / "warehouse.duckdb"), read_only=True)
    yield conn
    conn.close()
