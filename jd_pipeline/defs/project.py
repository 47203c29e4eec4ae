"""The dbt project as dagster-dbt sees it (`DbtProject`) and the preparation of its manifest.

The Dagster definitions read `target/manifest.json` when they are built. Who writes it:
- `dagster dev` / `dg dev` (DAGSTER_IS_DEV_CLI set): `DBT_PROJECT.prepare_if_dev()` below re-parses
  on every load of the code location, so model edits show up on reload;
- `jd-pipeline run`/`demo`, the test session and the benchmarks: `prepare_dbt_manifest()` before
  they load the definitions (a parse only when the manifest is missing or older than the project);
- a deployment: `dagster-dbt project prepare-and-package --file jd_pipeline/defs/project.py`.
Importing the definitions never runs dbt otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from jd_pipeline.config import DBT_PROJECT_DIR, get_settings

# The venv's dbt, not whichever `dbt` is first on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
DBT_PROJECT.prepare_if_dev()

MANIFEST_PATH = DBT_PROJECT.manifest_path


def _newest_project_file_mtime() -> float:
    project_dir = DBT_PROJECT.project_dir
    candidates = [project_dir / "dbt_project.yml", DBT_PROJECT.profiles_dir / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests", "analyses"):
        candidates.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in candidates if p.exists())


def manifest_is_fresh() -> bool:
    return MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_project_file_mtime()


def prepare_dbt_manifest() -> Path:
    """Write the manifest with `dbt parse` when it is missing or older than a project file.

    The parse sees the absolute JD_DATA_DIR the dbt runs see, so dbt keeps the partial-parse cache
    it writes (a profile that renders differently makes dbt re-parse the whole project).
    """
    if manifest_is_fresh():
        return MANIFEST_PATH
    dbt = DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)
    with environment({"JD_DATA_DIR": str(get_settings().data_dir)}):
        dbt.cli(["parse", "--quiet"], target_path=DBT_PROJECT.target_path).wait()  # raises on failure
    return MANIFEST_PATH


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (dagster-dbt hands os.environ to the dbt process)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
