"""Importing the code location has no side effects: no environment variable set, no dbt run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jd_pipeline.defs.project import prepare_dbt_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, subprocess, sys
# Third-party libraries set their own variables when imported (polars: _RJEM_MALLOC_CONF,
# threadpoolctl: KMP_DUPLICATE_LIB_OK): imported first, so the project's own code is what is checked.
import dagster, dagster_dbt, polars, threadpoolctl
started = []
real_popen_init = subprocess.Popen.__init__
def recording_init(self, args, *a, **k):
    started.append(args if isinstance(args, str) else [str(x) for x in args])
    real_popen_init(self, args, *a, **k)
subprocess.Popen.__init__ = recording_init
before = dict(os.environ)
import jd_pipeline.definitions as location
after = dict(os.environ)
print(json.dumps({
    "changed": sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)),
    "started": started,
    "assets": len(list(location.defs.resolve_asset_graph().get_all_asset_keys())),
}))
"""


@pytest.mark.integration
def test_importing_definitions_sets_no_environment_and_runs_no_dbt(tmp_path: Path) -> None:
    prepare_dbt_manifest()  # the manifest exists beforehand, as `jd-pipeline run` makes sure
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "JD_DEMO_MODE": "1",
        "JD_DATA_DIR": "relative-data",  # was made absolute in os.environ by the import before
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["changed"] == []
    # Libraries may start helpers (`file -b`, `fc-list`): no dbt is what matters.
    commands = [cmd.split() if isinstance(cmd, str) else cmd for cmd in report["started"]]
    dbt_runs = [cmd for cmd in commands if Path(cmd[0]).name in ("dbt", "dbtf")]
    assert dbt_runs == []
    assert report["assets"] > 50
