"""Proof of equality (issue #18): the dbt project on Spark builds the same marts as on DuckDB.

Scenario: the nightly-equals-rebuild set (`runtime/replay.build_scenario`: 2 brands,
2026-02-01..2026-04-05 at `--scale 0.01`, every restatement kind planted), the smallest that still
gives every mart rows. DuckDB side: the real pipeline (`run_pipeline`, every group that builds a dbt
model: ingest, staging, marts, the quality gate and kpi with the forecast) with the raw lake on
(JD_RAW_LAKE_URL). Spark side: `dbt build --target spark` (seeds, models, tests) in a subprocess as
`jd-pipeline verify` runs dbt, reading only what a cluster run would have: the lake the pipeline
wrote (raw, the config tables, ops.file_totals) and the forecast (`provide_the_forecast`). Then every
model of the `marts` and `kpi` schemas of the manifest is compared table by table
(tests/spark/compare.py: row count and an order-independent checksum, money to the cent, doubles to
9 significant digits), and again after a Spark run of a later window (JD_DBT_MIN_DATE/JD_DBT_MAX_DATE,
as Dagster passes it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from jd_pipeline.config import DBT_PROJECT_DIR
from jd_pipeline.generate.restatements import RESTATEMENT_KINDS
from jd_pipeline.runtime.dbt_docs import load_table_docs
from jd_pipeline.runtime.verify import DBT_EXECUTABLE
from tests.e2e.test_nightly import data_dir_env
from tests.spark.compare import Mart, TableResult, compare_marts, render

pytestmark = [pytest.mark.slow, pytest.mark.dbt]

START, END = date(2026, 2, 1), date(2026, 4, 5)
SCALE = float(os.environ.get("JD_SPARK_SCALE", "0.01"))
PUBLISHED_SCHEMAS = ("marts", "kpi")
# Every group with a dbt model or something one reads (the forecast of fct_rolling_plan_3m, the gate
# before kpi); reports, alerts and publish only read the marts.
GROUPS = frozenset({"ingest", "staging", "marts", "quality", "kpi"})
# The later window of the incremental check: the scenario's last week, the days its restatements land.
WINDOW = (END - timedelta(days=6), END)
DBT_TIMEOUT_SECONDS = 20 * 60


@dataclass
class Proof:
    data: Path
    lake: Path
    marts: list[Mart]
    build: subprocess.CompletedProcess
    results: list[TableResult]
    seconds: dict[str, float]

    @property
    def duckdb_db(self) -> Path:
        return self.data / "warehouse" / "warehouse.duckdb"

    @property
    def spark_warehouse(self) -> Path:
        return self.data / "spark" / "warehouse"

    @property
    def target_path(self) -> Path:
        return self.data / "dbt_target_spark"


@contextmanager
def lake_env(lake: Path) -> Iterator[None]:
    saved = os.environ.get("JD_RAW_LAKE_URL")
    os.environ["JD_RAW_LAKE_URL"] = str(lake)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("JD_RAW_LAKE_URL", None)
        else:
            os.environ["JD_RAW_LAKE_URL"] = saved


def published_marts(manifest_path: Path) -> list[Mart]:
    """Every enabled model the manifest puts in a published schema, with its grain."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    grains = load_table_docs(manifest_path)
    marts = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] not in PUBLISHED_SCHEMAS:
            continue
        if node["config"].get("materialized") in ("ephemeral", "view"):
            continue
        name = node.get("alias") or node["name"]
        doc = grains.get((node["schema"], name))
        marts.append(Mart(node["schema"], name, doc.grain if doc else ()))
    return sorted(marts, key=lambda m: m.label)


def dbt_spark(proof_data: Path, lake: Path, *args: str, window: tuple[date, date] | None = None):
    """dbt on the `spark` target in a subprocess, with the settings Dagster passes (transform.py)."""
    env = {
        **os.environ,
        "JD_DATA_DIR": str(proof_data),
        "JD_RAW_LAKE_URL": str(lake),
        "JD_DBT_MIN_DATE": window[0].isoformat() if window else "",
        "JD_DBT_MAX_DATE": window[1].isoformat() if window else "",
        "JD_DBT_DQ_FULL_SCOPE": "false" if window else "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [
            DBT_EXECUTABLE,
            *args,
            "--target",
            "spark",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(proof_data / "dbt_target_spark"),
            "--log-path",
            str(proof_data / "dbt_logs_spark"),
        ],
        cwd=proof_data,  # anything Spark leaves in its working directory stays in the scratch folder
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=DBT_TIMEOUT_SECONDS,
    )


def spark_session_settings(data: Path) -> dict[str, str]:
    """The `spark` target's session settings (profiles.yml), rendered for `data` as dbt renders them."""
    import jinja2
    import yaml

    def env_var(name: str, default: str | None = None) -> str:
        if name == "JD_DATA_DIR":
            return str(data)
        return os.environ.get(name, default if default is not None else "")  # other targets' settings

    environment = jinja2.Environment()
    environment.filters.update(
        {name: lambda v: v for name in ("as_number", "as_bool", "as_native", "as_text")}
    )
    text = environment.from_string((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")).render(
        env_var=env_var
    )
    target = yaml.safe_load(text)["jd_ops_warehouse"]["outputs"]["spark"]
    return {str(k): str(v) for k, v in target["server_side_parameters"].items()}


def provide_the_forecast(duckdb_db: Path, data: Path) -> None:
    """The one input a Spark run does not find in the lake: the forecast (`marts.fct_demand_forecast`,
    read by fct_rolling_plan_3m), copied from the DuckDB run and registered in Spark's catalog as a
    Parquet table, as `jd-pipeline verify` copies it into its scratch warehouse. It is not raw data
    nor configuration but a model's output (the Python forecast asset, statsforecast on DuckDB's
    marts), so on a cluster it is produced next to the marts, not carried by the loader's lake.
    Everything else the models read (raw, the `config` tables, `ops.file_totals`) the pipeline wrote
    to the lake itself (docs/raw_lake.md)."""
    import duckdb

    folder = data / "spark_inputs" / "marts.fct_demand_forecast"
    folder.mkdir(parents=True)
    with duckdb.connect(str(duckdb_db), read_only=True) as conn:
        conn.execute(f"copy marts.fct_demand_forecast to '{folder / 'part.parquet'}' (format parquet)")
    registered = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("register_table.py")),
            json.dumps(spark_session_settings(data)),
            "marts.fct_demand_forecast",
            str(folder),
        ],
        cwd=data,
        capture_output=True,
        text=True,
        check=False,
        timeout=DBT_TIMEOUT_SECONDS,
    )
    assert registered.returncode == 0, (
        f"registering the forecast in Spark failed:\n{registered.stderr[-3000:]}"
    )


def failed_nodes(target_path: Path, process: subprocess.CompletedProcess) -> list[str]:
    """`unique_id: status: message` of every node that did not pass (models, seeds and tests; an
    exposure only documents its marts)."""
    results_file = target_path / "run_results.json"
    if not results_file.exists():
        return [f"dbt wrote no run_results.json (exit {process.returncode}): {process.stdout[-2000:]}"]
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    return [
        f"{r['unique_id']}: {r['status']}: {' '.join((r.get('message') or '').split())[:300]}"
        for r in results
        if r["status"] not in ("success", "pass") and not r["unique_id"].startswith("exposure.")
    ]


@pytest.fixture(scope="module")
def proof(tmp_path_factory) -> Proof:
    from jd_pipeline.generate.restatements import deliveries
    from jd_pipeline.orchestrate import run_pipeline
    from jd_pipeline.runtime.replay import build_scenario

    root = tmp_path_factory.mktemp("spark_proof")
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    scenario = build_scenario(root / "scenario", START, END, SCALE)
    missing = sorted(set(RESTATEMENT_KINDS) - set(scenario.planted))
    assert not missing, f"the scenario lacks restatement kinds: {missing}"
    data, lake = root / "data", root / "lake"
    with data_dir_env(data), lake_env(lake):
        shutil.copy(scenario.brands_file, data / "brands.yaml")
        for path in (p for files in deliveries(scenario.landing).values() for p in files):
            target = data / "landing" / path.relative_to(scenario.landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)  # the mtime is the delivery time the loader orders by
        report = run_pipeline(START, END, progress=lambda _: None, skip_publish=True, only_groups=GROUPS)
    assert report.success, report.render()
    seconds["duckdb pipeline"] = time.perf_counter() - began
    marts = published_marts(DBT_PROJECT_DIR / "target" / "manifest.json")
    began = time.perf_counter()
    provide_the_forecast(data / "warehouse" / "warehouse.duckdb", data)
    build = dbt_spark(data, lake, "build")
    seconds["spark dbt build"] = time.perf_counter() - began
    results = compare_marts(data / "warehouse" / "warehouse.duckdb", data / "spark" / "warehouse", marts)
    return Proof(data, lake, marts, build, results, seconds)


def test_the_lake_holds_every_raw_table(proof: Proof) -> None:
    import duckdb

    with duckdb.connect(str(proof.duckdb_db), read_only=True) as conn:
        raw = [
            r[0]
            for r in conn.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        ]
    assert raw, "the DuckDB pipeline loaded no raw table"
    empty = sorted(name for name in raw if not any((proof.lake / name).rglob("*.parquet")))
    assert not empty, f"raw tables with no Parquet in the lake ({proof.lake}): {empty}"


def test_the_lake_holds_the_config_tables_and_the_file_totals(proof: Proof) -> None:
    """The other inputs of the models the pipeline writes to the lake, so Spark needs only the forecast."""
    import duckdb

    with duckdb.connect(str(proof.duckdb_db), read_only=True) as conn:
        for table in (
            "config.brands",
            "config.brand_names",
            "config.pop_commission_rates",
            "ops.file_totals",
        ):
            folder = proof.lake / table.replace(".", "/")
            lake = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = false)"
            for a, b in ((lake, table), (table, lake)):
                extra = conn.execute(f"select * from {a} except all select * from {b}").fetchall()
                assert extra == [], f"{table}: rows of {a} not in {b}: {extra[:3]}"


def test_spark_build_succeeds(proof: Proof) -> None:
    failed = failed_nodes(proof.target_path, proof.build)
    assert proof.build.returncode == 0 and not failed, (
        f"dbt build --target spark: {len(failed)} node(s) did not pass:\n" + "\n".join(failed)
    )


def test_every_published_mart_equals_duckdb(proof: Proof) -> None:
    assert len(proof.marts) >= 20, [m.label for m in proof.marts]
    rows = sum(r.duckdb_rows or 0 for r in proof.results)
    empty = [r.mart.label for r in proof.results if r.duckdb_rows == 0]
    assert not empty, f"marts without rows in the scenario prove nothing: {empty}"
    assert all(r.equal for r in proof.results), render(proof.results)
    print(
        f"{len(proof.results)} marts equal on Spark and DuckDB, {rows:,} rows each side; "
        + ", ".join(f"{k} {v:.0f}s" for k, v in proof.seconds.items())
    )


def test_a_later_window_on_spark_still_equals_duckdb(proof: Proof) -> None:
    """A nightly-style run of the last week on Spark (the incremental models overwrite the window's
    partitions) leaves every mart equal to DuckDB's."""
    assert all(r.equal for r in proof.results), "the full build differs already: see the test above"
    # The incremental models alone: a table model rebuilds whole whatever the window, as in the build.
    run = dbt_spark(
        proof.data, proof.lake, "run", "--select", "config.materialized:incremental", window=WINDOW
    )
    failed = failed_nodes(proof.target_path, run)
    assert run.returncode == 0 and not failed, f"dbt run --target spark for {WINDOW}:\n" + "\n".join(failed)
    results = compare_marts(proof.duckdb_db, proof.spark_warehouse, proof.marts)
    assert all(r.equal for r in results), f"after the window {WINDOW[0]}..{WINDOW[1]}:\n" + render(results)
