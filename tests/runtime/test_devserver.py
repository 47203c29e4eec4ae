"""`jd-pipeline dev`: the UI comes up, and Ctrl-C / SIGTERM leave no process behind."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from jd_pipeline.config import get_settings
from jd_pipeline.runtime import devserver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_ui(port: int, timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(1)
    return False


@pytest.mark.integration
def test_prepare_dagster_home_writes_config_and_pool_limit(data_dir: Path) -> None:
    import dagster as dg

    home = devserver.prepare_dagster_home(get_settings())
    config = (home / "dagster.yaml").read_text()
    assert "QueuedRunCoordinator" in config and "default_limit: 1" in config
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info("duckdb_warehouse").slot_count == 1
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_dev_server_stops_cleanly(data_dir: Path, tmp_path: Path, sig: int) -> None:
    port = free_port()
    # Started like `make dev` from a script, in the background: SIGINT arrives ignored (the trap).
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                f"import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                f"from jd_pipeline.runtime.devserver import run_dev_server; sys.exit(run_dev_server(port={port}))"
            ),
        ],
        stdout=(tmp_path / "dev.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for_ui(port), (tmp_path / "dev.log").read_text()[-3000:]
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert children, "dagster dev should be a child of the dev server"
        token = dict(
            line.split("=", 1)
            for line in Path(f"/proc/{children[0]}/environ").read_text().split("\0")
            if "=" in line
        )[devserver.TOKEN_ENV]
        proc.send_signal(sig)
        assert proc.wait(timeout=90) == 0
        assert devserver.find_token_processes(token) == []
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
