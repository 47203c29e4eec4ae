"""Issue 22 (7): a missing or read-only data directory is a one-line error with exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(env_data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JD_DATA_DIR": str(env_data_dir), "JD_DEMO_MODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "jd_pipeline.cli", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


@pytest.mark.integration
def test_a_missing_data_dir_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    line = _one_line(_cli(missing, "run", "--date", "2026-03-01"))
    assert line == (
        f"jd-pipeline run: configuration error: JD_DATA_DIR {missing} does not exist "
        "(set JD_DATA_DIR to the folder holding landing/)"
    )
    assert not missing.exists()  # nothing created, nothing published


@pytest.mark.integration
@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_data_dir_is_a_one_line_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "landing").mkdir(parents=True)
    data.chmod(0o555)
    try:
        line = _one_line(_cli(data, "run", "--date", "2026-03-01"))
    finally:
        data.chmod(0o755)
    assert line == f"jd-pipeline run: configuration error: {data} is not writable (read-only data directory?)"


def test_a_read_only_data_dir_is_refused_even_for_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.access answers for root too when asked through the check: simulate the mount."""
    from jd_pipeline import config

    data = tmp_path / "data"
    (data / "warehouse").mkdir(parents=True)
    monkeypatch.setenv("JD_DATA_DIR", str(data))
    real = os.access
    monkeypatch.setattr(
        config.os, "access", lambda p, mode: False if Path(p) == data / "warehouse" else real(p, mode)
    )
    with pytest.raises(
        config.ConfigError, match=r"warehouse is not writable \(read-only data directory\?\)$"
    ):
        config.check_data_dir(config.get_settings(), must_exist=True)


def test_an_unwritable_path_met_on_the_way_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from jd_pipeline import cli

    data = tmp_path / "data"
    (data / "landing").mkdir(parents=True)
    monkeypatch.setenv("JD_DATA_DIR", str(data))

    def denied(args):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(data / "serving" / "warehouse.duckdb"))

    monkeypatch.setattr(cli, "cmd_status", denied)
    assert cli.main(["status"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"jd-pipeline status: cannot write {data / 'serving' / 'warehouse.duckdb'}: Permission denied\n"
    )
