"""dbt models as Dagster assets (groups `staging`, `marts` and `kpi`), dbt tests as asset checks.

dbt tests with severity `error` become blocking asset checks (dagster-dbt does this), so a
failing test stops every downstream asset in the same run; their results are also written to
`ops.dq_results` so the quality gate blocks later runs too.
"""

import functools
import json
import operator
import os
import shutil
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    build_dbt_asset_selection,
    dbt_assets,
    get_asset_key_for_model,
)

from jd_pipeline.brands import configured_brands, write_config_tables
from jd_pipeline.config import get_settings
from jd_pipeline.defs.partitions import daily_partitions
from jd_pipeline.defs.project import DBT_EXECUTABLE, DBT_PROJECT, MANIFEST_PATH, environment
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.ingest import ensure_warehouse_tables
from jd_pipeline.quality.gate import GATE_ASSET
from jd_pipeline.reporting.headline import HEADLINE_TABLE, headline_metadata, latest_headline
from jd_pipeline.warehouse import fetch_value

# Models that read the forecast written by a Python asset downstream of the quality gate; they
# run in a second dbt step so the asset graph has no cycle.
AFTER_FORECAST_SELECTOR = "tag:after_forecast"
# Models read by reports, the flash, publish and BI (models/kpi): they depend on the quality gate,
# which depends on the marts, so they run in a dbt step of their own that refuses to build while
# the gate is closed, like the report assets.
AFTER_GATE_SELECTOR = "tag:after_gate"
GATE_KEY = dg.AssetKey.from_user_string(GATE_ASSET)
HEADLINE_KEY = dg.AssetKey(["kpi", "headline_daily"])
LAYER_BY_FOLDER = {"staging": "staging", "intermediate": "intermediate", "marts": "marts", "kpi": "kpi"}


def _keep_partial_parse_cache(invocation: Any) -> None:
    """Make this invocation's parse cache the one the next invocation starts from.

    dagster-dbt copies target/partial_parse.msgpack into every invocation. dbt throws a cache
    away (a full re-parse of the project) when the profile renders differently, e.g. another data dir
    than the `dbt parse` that made it; the invocation that just ran parsed with the current one.
    """
    source = Path(invocation.target_path) / "partial_parse.msgpack"
    if not source.exists():
        return
    target = DBT_PROJECT.project_dir / DBT_PROJECT.target_path / "partial_parse.msgpack"
    temporary = target.with_name(f".partial_parse.{os.getpid()}.msgpack")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)  # atomic: a concurrent invocation copies either file whole


class JdDbtTranslator(DagsterDbtTranslator):
    """Asset keys `staging/<model>`, `intermediate/<model>`, `marts/<model>`, `kpi/<model>`; sources
    use their meta. Models tagged `after_gate` also depend on the quality gate `quality/dq_gate`."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        tags = self.get_resource_props(manifest, unique_id).get("tags", [])
        if "after_gate" in tags and GATE_KEY not in {dep.asset_key for dep in spec.deps}:
            spec = spec.merge_attributes(deps=[GATE_KEY])
        return spec

    def _layer(self, props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        folder = Path(props.get("original_file_path", "")).parts[1:2]
        return LAYER_BY_FOLDER.get(folder[0], "marts") if folder else "marts"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("source",):
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The model's dbt description in words and where its SQL lives; dagster-dbt's default
        pastes the whole raw SQL into the description (`#### Raw SQL:`), which buries the words."""
        props = dbt_resource_props
        words = (props.get("description") or "").strip() or f"dbt {props['resource_type']} {props['name']}."
        path = props.get("original_file_path")
        return f"{words}\n\nSQL: `dbt_project/{path}`" if path else words

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        layer = self._layer(dbt_resource_props)
        if layer == "kpi":
            return "kpi"
        return "staging" if layer in ("staging", "reference") else "marts"


TRANSLATOR = JdDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    """The inclusive ISO date window of the partitions being run (none when unpartitioned)."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return {}
    window = context.partition_time_window
    last_day = window.end - timedelta(days=1)
    return {"min_date": window.start.date().isoformat(), "max_date": last_day.date().isoformat()}


class DbtBuildConfig(dg.Config):
    """Run config of the dbt steps (`ops: {dbt_warehouse: {config: {whole_table_tests: true}}}`).

    whole_table_tests: dbt tests read whole tables instead of the run's window (set by the weekly
    `weekly_whole_table_tests` schedule).
    """

    whole_table_tests: bool = False


def run_tests_on_whole_tables(variables: Mapping[str, str], requested: bool = False) -> bool:
    """Whether this run's dbt tests read whole tables rather than the window it rebuilt.

    Asked for by run config (the weekly `weekly_whole_table_tests` run: a duplicate key across
    days, or a row changed outside its window, is caught once a week without making every
    nightly run scan a year of rows), any run without a window, and any run with
    JD_DQ_FULL_SCOPE=1 in the environment.
    """
    if requested or os.environ.get("JD_DQ_FULL_SCOPE", "").lower() in ("1", "true", "yes"):
        return True
    return not variables


def dbt_run_environment(variables: Mapping[str, str], whole_table_tests: bool = False) -> dict[str, str]:
    """The run settings dbt reads at execution time (macros/incremental_window.sql, run_setting).

    Passed as environment variables, not `--vars`: vars that change every run make dbt re-parse
    the whole project on every invocation instead of using its partial-parse cache.
    """
    return {
        "JD_DBT_MIN_DATE": variables.get("min_date", ""),
        "JD_DBT_MAX_DATE": variables.get("max_date", ""),
        "JD_DBT_DQ_FULL_SCOPE": "true"
        if run_tests_on_whole_tables(variables, whole_table_tests)
        else "false",
    }


def _row_counts(warehouse: WarehouseResource, keys: set[dg.AssetKey]) -> dict[dg.AssetKey, int]:
    """Row counts of the built tables, read after dbt has released the DuckDB file."""
    counts: dict[dg.AssetKey, int] = {}
    with warehouse.get_connection(read_only=True) as conn:
        tables = {
            (schema, name)
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for key in keys:
            schema, name = key.path[0], key.path[-1]
            if (schema, name) in tables:
                counts[key] = fetch_value(conn, f'select count(*) from "{schema}"."{name}"')
    return counts


def _run_dbt(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
) -> Iterator[Any]:
    if GATE_KEY in set(context.assets_def.dependency_keys):
        from jd_pipeline.defs.quality import require_gate_open  # defs.quality reads the dbt assets

        require_gate_open(context, warehouse)
    brands = configured_brands()
    with warehouse.get_connection() as conn:
        ensure_warehouse_tables(conn)
        write_config_tables(conn, brands)
    variables = dbt_vars(context)
    run_environment = dbt_run_environment(variables, config.whole_table_tests)
    # dbt's profile reads JD_DATA_DIR, relative to dbt's working directory unless made absolute.
    context.log.info(
        f"dbt build, window {variables or 'none (whole tables)'}, "
        f"tests on {'whole tables' if run_environment['JD_DBT_DQ_FULL_SCOPE'] == 'true' else 'the window'}"
    )
    with environment({**run_environment, "JD_DATA_DIR": str(get_settings().data_dir)}):
        invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    # Buffer dbt's events: row counts can only be read once dbt has released the DuckDB file.
    events = list(invocation.stream())
    _keep_partial_parse_cache(invocation)
    key_of = context.assets_def.keys_by_output_name.__getitem__
    built = {key_of(e.output_name) for e in events if isinstance(e, dg.Output)}
    counts = _row_counts(warehouse, built)
    check_results = [e for e in events if isinstance(e, dg.AssetCheckResult)]
    _record_check_results(warehouse, check_results, context)
    for event in events:
        if isinstance(event, dg.Output) and key_of(event.output_name) in counts:
            key = key_of(event.output_name)
            metadata: dict[str, Any] = {**event.metadata, "dagster/row_count": counts[key]}
            if key == HEADLINE_KEY:
                metadata.update(_headline_metadata(context, warehouse))
            event = event.with_metadata(metadata)
        yield event
    # Failed tests already fail their blocking checks; a failed model/seed must fail the step.
    broken = _failed_nodes(invocation)
    if broken:
        raise dg.Failure(
            description="dbt could not build: " + "; ".join(broken),
            metadata={"failed_nodes": dg.MetadataValue.json(broken)},
        )


def _headline_metadata(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dict[str, Any]:
    """The newest day per brand of kpi.headline_daily (a table and markdown in the UI)."""
    variables = dbt_vars(context)
    end = date.fromisoformat(variables["max_date"]) if variables else date.max
    with warehouse.get_connection(read_only=True) as conn:
        latest = latest_headline(conn, end)
    window = f"{variables['min_date']}..{variables['max_date']}" if variables else "all days"
    return {"table": HEADLINE_TABLE, "window": window, **headline_metadata(latest)}


def _failed_nodes(invocation: Any) -> list[str]:
    if invocation.is_successful():
        return []
    results = invocation.get_artifact("run_results.json").get("results", [])
    return [
        f"{r['unique_id']}: {(r.get('message') or '').strip()[:500]}"
        for r in results
        if r.get("status") == "error" and not r["unique_id"].startswith(("test.", "unit_test."))
    ]


def _record_check_results(
    warehouse: WarehouseResource, results: list[dg.AssetCheckResult], context: dg.AssetExecutionContext
) -> None:
    from jd_pipeline.quality import record_asset_check_results

    partition = ",".join(dbt_vars(context).values()) or None
    with warehouse.get_connection() as conn:
        record_asset_check_results(conn, results, run_id=context.run_id, partition=partition)


def _has_models_tagged(tag: str) -> bool:
    manifest = json.loads(MANIFEST_PATH.read_text())
    return any(tag in node.get("tags", []) for node in manifest["nodes"].values())


def build_dbt_assets() -> list[dg.AssetsDefinition]:
    common: dict[str, Any] = {
        "manifest": MANIFEST_PATH,
        "dagster_dbt_translator": TRANSLATOR,
        "partitions_def": daily_partitions,
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "pool": WAREHOUSE_POOL,
    }

    @dbt_assets(**common, exclude=f"{AFTER_FORECAST_SELECTOR} {AFTER_GATE_SELECTOR}", name="dbt_warehouse")
    def dbt_warehouse(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        config: DbtBuildConfig,
    ):
        """Staging views, intermediate logic and the published marts, incremental on the day window."""
        yield from _run_dbt(context, dbt, warehouse, config)

    steps = [dbt_warehouse]
    if _has_models_tagged("after_gate"):

        @dbt_assets(**common, select=AFTER_GATE_SELECTOR, name="dbt_after_gate")
        def dbt_after_gate(
            context: dg.AssetExecutionContext,
            dbt: DbtCliResource,
            warehouse: WarehouseResource,
            config: DbtBuildConfig,
        ):
            """KPI tables (models/kpi), built after the quality gate and only while it is open."""
            yield from _run_dbt(context, dbt, warehouse, config)

        steps.append(dbt_after_gate)
    if _has_models_tagged("after_forecast"):

        @dbt_assets(**common, select=AFTER_FORECAST_SELECTOR, name="dbt_after_forecast")
        def dbt_after_forecast(
            context: dg.AssetExecutionContext,
            dbt: DbtCliResource,
            warehouse: WarehouseResource,
            config: DbtBuildConfig,
        ):
            """Marts that set the plan beside the demand forecast (built after the forecast asset)."""
            yield from _run_dbt(context, dbt, warehouse, config)

        steps.append(dbt_after_forecast)
    return steps


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)


DBT_ASSETS = build_dbt_assets()
# The dbt steps' op names (run config of the weekly whole-table-tests run addresses them).
DBT_STEP_NAMES: tuple[str, ...] = tuple(assets_def.op.name for assets_def in DBT_ASSETS)


def dbt_model_key(model_name: str) -> dg.AssetKey:
    """The asset key of a dbt model, as the translator gives it (fails on a model dbt does not have).

    Any one of the dbt assets definitions will do: they share the manifest and the translator.
    """
    return get_asset_key_for_model(DBT_ASSETS[:1], model_name)


def dbt_selection(dbt_select: str = "fqn:*") -> dg.AssetSelection:
    """The dbt assets a dbt selection string picks, over both dbt steps."""
    selections = [build_dbt_asset_selection([assets_def], dbt_select=dbt_select) for assets_def in DBT_ASSETS]
    return functools.reduce(operator.or_, selections)


defs = dg.Definitions(assets=DBT_ASSETS)
