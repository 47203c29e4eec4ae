"""A real Superset (from .venv-superset) on a real PostgreSQL serving database, for the browser test."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jd_pipeline.bi import superset
from jd_pipeline.serving.local_postgres import free_port
from jd_pipeline.serving.pg_settings import pg_settings
from jd_pipeline.serving.postgres_publish import publish_postgres
from tests.bi.fixture_marts import build_served_marts


@dataclass(frozen=True)
class RunningSuperset:
    url: str
    user: str
    password: str
    pg_env: dict[str, str]


@pytest.fixture(scope="module")
def superset_site(pg_server) -> Iterator[RunningSuperset]:
    root = Path(tempfile.mkdtemp(prefix="jd-superset-"))
    dbname = "bi_dashboards"
    env = pg_server.fresh_database(dbname, bi_password="bi-pass-test")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    process = None
    try:
        served = root / "serving" / "warehouse.duckdb"
        build_served_marts(served)
        publish_postgres(served, pg_settings())
        site = superset.open_site(root / "superset")
        serving = superset.ServingDatabase(
            "127.0.0.1", pg_server.port, dbname, "jd_bi_reader", "bi-pass-test", duckdb_path=served
        )
        superset.prepare(site, serving, progress=lambda m: None)
        port = free_port()
        process = superset.start(site, port)
        yield RunningSuperset(f"http://127.0.0.1:{port}", superset.ADMIN_USER, site.admin_password, env)
    finally:
        if process is not None:
            superset.stop(process)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(root, ignore_errors=True)
