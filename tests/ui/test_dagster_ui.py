"""The Dagster UI shows a finished run as it is, looked at in a real browser (headless Chromium).

A small generated landing zone (one brand, three days) is run by `jd-pipeline run` as a user
would; then `dagster-webserver` is started on that instance (a free 127.0.0.1 port) and the
pages a data engineer opens first are checked: the asset graph renders, a mart shows its three
partitions materialized, a check shows its result, the runs are listed. Screenshots are kept
under test-artifacts/screenshots/ (tests/browser.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import screenshot
from tests.runtime.test_devserver import free_port

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]
START, END = "2025-03-01", "2025-03-03"
MART = "marts/fct_sales_daily"


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "JD_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "JD_PARTITIONS_START": START,
        "JD_DEMO_MODE": "1",
    }
    return env


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("ui") / "data"
    env = _env(data_dir)
    cli = [sys.executable, "-m", "jd_pipeline.cli"]
    generated = subprocess.run(
        [
            *cli,
            "generate",
            "--out",
            str(data_dir / "landing"),
            "--brands",
            "1",
            "--start",
            START,
            "--end",
            END,
            "--scale",
            "0.005",
            "--ads-pulls",
            "1",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    run = subprocess.run(
        [*cli, "run", "--start", START, "--end", END],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return data_dir


@pytest.fixture(scope="module")
def ui(finished_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("ui-log") / "webserver.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-webserver")),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            str(REPO_ROOT / "workspace.yaml"),
        ],
        cwd=REPO_ROOT,
        env=_env(finished_run),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "dagster-webserver exited"
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"dagster-webserver did not answer on {url}")


def _open(page, url: str, ready_text: str, timeout: float = 240_000) -> None:
    """Open a page; the code location may still be loading, so reload until `ready_text` shows."""
    page.goto(url)
    page.get_by_text(re.compile(ready_text)).first.wait_for(timeout=timeout)


def test_asset_graph_renders(ui: str, page) -> None:
    _open(page, f"{ui}/asset-groups", "Global asset lineage")
    for group in ("ingest", "staging", "marts", "quality", "kpi", "reports", "publish"):
        page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
    screenshot(page, "ui_global_lineage")
    assert page.locator("svg path").count() > 0  # the lineage edges between the groups are drawn


def test_mart_shows_materialized_partitions(ui: str, page) -> None:
    _open(page, f"{ui}/assets/{MART}?view=partitions", r"Materialized \(\d+\)")
    screenshot(page, "ui_mart_partitions")
    body = page.inner_text("body")
    assert "Materialized (3)" in body and "Failed (0)" in body, body[:2000]


def test_check_shows_its_result(ui: str, page) -> None:
    check = "assert_sales_daily_reconciles_to_staging"  # a blocking reconciliation of the mart
    # the list shows names middle-truncated; the full name is in the row's (hidden) measuring text
    _open(page, f"{ui}/assets/{MART}?view=checks", r"Checks \(\d+\)")
    page.get_by_text("Evaluation result").first.wait_for(timeout=60_000)  # the first check's latest result
    screenshot(page, "ui_mart_checks")
    body = page.inner_text("body")
    # the check list: each check's full name, then the status of its latest execution
    assert re.search(rf"{check}\s+Succeeded", body), body[:3000]
    assert "Passed" in body, body[:3000]
    # every dbt test on the mart has a result (only the clock-driven freshness check waits for its sensor)
    assert len(re.findall(r"\n\s*Succeeded", body)) >= 7 and "Failed" not in body, body[:3000]


def test_runs_are_listed(ui: str, finished_run: Path, page, monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", str(finished_run / "dagster_home"))
    with dg.DagsterInstance.from_config(str(finished_run / "dagster_home")) as instance:
        runs = instance.get_runs()
    assert len(runs) >= 5
    _open(page, f"{ui}/runs", runs[0].run_id[:8])
    screenshot(page, "ui_runs")
    body = page.inner_text("body")
    for run in runs:
        assert run.run_id[:8] in body, run.run_id
