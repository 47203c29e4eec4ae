"""`jd-pipeline verify`: rebuild every dbt mart from raw into a scratch warehouse and compare it
with the working warehouse, table by table (row count + order-independent checksum of all columns),
naming the first differing keys.

The nightly runs are incremental; this proves (or disproves) that they still equal a rebuild from
the same raw data (docs/marts_notes.md, "Nightly equals rebuild"). The scratch warehouse gets copies
of the inputs dbt reads — schemas `raw`, `ops`, `config`, and the forecast the Python asset wrote
(`marts.fct_demand_forecast`, read by the after-forecast models; not itself compared) — then
`dbt seed` and a full `dbt run` without a window. The weekly schedule `weekly_verify` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from jd_pipeline.config import DBT_PROJECT_DIR, Settings, duckdb_config
from jd_pipeline.runtime.equality import TableDifference, compare, tables

COPIED_SCHEMAS = ("raw", "ops", "config")
PYTHON_MARTS = frozenset({"fct_demand_forecast"})  # written by the forecast asset, not by dbt
# State kept across runs (open/resolved alerts, docs/alerts.md): no rebuild from raw can reproduce it.
STATEFUL_MARTS = frozenset({"fct_alerts"})
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class VerifyError(RuntimeError):
    """The rebuild could not be made (no warehouse, dbt failed)."""


@dataclass
class VerifyResult:
    tables_compared: int
    differences: list[TableDifference] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def equal(self) -> bool:
        return not self.differences

    def render(self) -> str:
        head = (
            f"verify: {self.tables_compared} mart tables compared with a rebuild from raw in "
            f"{self.seconds:.1f}s: {'identical' if self.equal else f'{len(self.differences)} differ'}"
        )
        return "\n".join(
            [head, *(f"  {d.describe('working warehouse', 'rebuild')}" for d in self.differences)]
        )


def _copy_inputs(working: Path, scratch_db: Path) -> None:
    with duckdb.connect(str(scratch_db), config=duckdb_config()) as conn:
        conn.execute(f"attach '{working}' as working (read_only)")
        for schema in COPIED_SCHEMAS:
            conn.execute(f'create schema if not exists "{schema}"')
            for name in tables(conn, schema, catalog="working"):
                conn.execute(f'create table "{schema}"."{name}" as select * from working."{schema}"."{name}"')
        conn.execute("create schema if not exists marts")
        for name in PYTHON_MARTS & set(tables(conn, "marts", catalog="working")):
            conn.execute(f'create table marts."{name}" as select * from working.marts."{name}"')


def _dbt(scratch: Path, *args: str) -> None:
    env = {
        **os.environ,
        "JD_DATA_DIR": str(scratch),
        "JD_DBT_MIN_DATE": "",
        "JD_DBT_MAX_DATE": "",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [
            DBT_EXECUTABLE,
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(scratch / "dbt_target"),
            "--log-path",
            str(scratch / "dbt_logs"),
            "--quiet",
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise VerifyError(
            f"dbt {' '.join(args)} failed on the rebuild:\n{result.stdout[-3000:]}{result.stderr[-1000:]}"
        )


def _without_forecast(scratch_db: Path) -> list[str]:
    """The models that read the forecast cannot be rebuilt where no forecast was ever written."""
    with duckdb.connect(str(scratch_db), read_only=True) as conn:
        has_forecast = bool(PYTHON_MARTS & set(tables(conn, "marts")))
    return [] if has_forecast else ["--exclude", "tag:after_forecast"]


def verify(settings: Settings, keep_scratch: bool = False) -> VerifyResult:
    """Rebuild into `$JD_DATA_DIR/verify/` and compare; the scratch dir is removed afterwards."""
    began = time.perf_counter()
    working = settings.warehouse_db
    if not working.exists():
        raise VerifyError(f"no working warehouse at {working}: run `jd-pipeline run` first")
    scratch = settings.data_dir / "verify"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "warehouse").mkdir(parents=True)
    scratch_db = scratch / "warehouse" / "warehouse.duckdb"
    try:
        _copy_inputs(working, scratch_db)
        _dbt(scratch, "seed")
        _dbt(scratch, "run", "--full-refresh", *_without_forecast(scratch_db))
        differences = compare(str(working), str(scratch_db), skip=PYTHON_MARTS | STATEFUL_MARTS)
        with duckdb.connect(str(scratch_db), read_only=True) as conn:
            compared = len(set(tables(conn, "marts")) - PYTHON_MARTS)
    finally:
        if not keep_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return VerifyResult(compared, differences, round(time.perf_counter() - began, 1))
