"""Shared test fixtures: an isolated JD_DATA_DIR per test and the demo salt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Every test runs against demo mode (fixed demo salt) unless it sets a salt itself.
os.environ.setdefault("JD_DEMO_MODE", "1")
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The dbt manifest the definitions read, parsed once when missing or stale (importing
    `jd_pipeline.definitions` does not run dbt)."""
    from jd_pipeline.defs.project import prepare_dbt_manifest

    prepare_dbt_manifest()


# What a test needs, by the fixtures it uses: `make test-fast` deselects these markers (pyproject.toml),
# and a new test that takes one of these fixtures leaves the fast loop without anyone marking it.
MARKER_OF_FIXTURE = {
    "pg_server": "postgres",
    "browser": "browser",
    "built_warehouse": "dbt",
    "report_warehouse": "dbt",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in set(MARKER_OF_FIXTURE) & set(getattr(item, "fixturenames", ())):
            item.add_marker(MARKER_OF_FIXTURE[fixture])


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """An empty landing zone of the test's own (the loader and lake tests write files into it)."""
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def conn(tmp_path: Path):
    """A fresh warehouse file, closed after the test."""
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield c
    c.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh `$JD_DATA_DIR` with the standard layout."""
    root = tmp_path / "data"
    for sub in ("landing", "warehouse", "serving", "reports"):
        (root / sub).mkdir(parents=True)
    monkeypatch.setenv("JD_DATA_DIR", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    return root


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (tests/browser.py), one per test session."""
    from tests.browser import chromium

    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser):
    """A fresh 1400 px wide page; closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server (Debian's binaries, initdb in a temp dir) on a free 127.0.0.1 port."""
    from jd_pipeline.serving.local_postgres import temporary_server

    with temporary_server() as server:
        yield server


@pytest.fixture
def pg_env(pg_server, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh database on the session's server, and JD_PG_* pointing at it (password via env)."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50]
    env = pg_server.fresh_database(name, bi_password="bi-test-password")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
