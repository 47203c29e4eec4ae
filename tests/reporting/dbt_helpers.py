"""Run a few dbt models against a hand-built DuckDB warehouse (the upstream tables made by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def run_dbt(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [str(DBT), *args, "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
           "--target-path", str(data_dir / "dbt_target"), "--log-path", str(data_dir / "dbt_logs")]
    env = {**os.environ, "JD_DATA_DIR": str(data_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(cmd, check=False, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc
