"""`publish/serving_warehouse`: the atomic copy of `marts` and `ops` that BI tools read.

The work is done by `jd_pipeline.serving.duckdb_publish.publish_serving` (plain Python, used by tests and the
CLI too); this module only wraps it as a Dagster asset.
"""

import dagster as dg

from jd_pipeline.config import get_settings
from jd_pipeline.defs.alerts import ALERTS_KEY
from jd_pipeline.defs.flash import FLASH_KEY
from jd_pipeline.defs.kpi import FORECAST_KEY, HEADLINE_KEY
from jd_pipeline.defs.quality import GATE_KEY
from jd_pipeline.defs.reports import REPORT_KINDS, report_key
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.quality.gate import failed_blocking_checks, gate_message
from jd_pipeline.quality.windows import ALL_TIME
from jd_pipeline.serving.duckdb_publish import PublishError, PublishResult, publish_serving
from jd_pipeline.serving.postgres_publish import PgPublishResult, publish_postgres

PUBLISH_ASSET_KEY = dg.AssetKey(["publish", "serving_warehouse"])

# Publish runs last: after the quality gate and everything else that writes `marts`/`ops`.
BASE_PUBLISH_DEPS: list[dg.AssetKey] = [GATE_KEY, HEADLINE_KEY, FORECAST_KEY, ALERTS_KEY]


def dbt_mart_keys(time_partitioned_only: bool = False) -> list[dg.AssetKey]:
    """Keys `marts/*` of the dbt assets."""
    from jd_pipeline.defs.transform import defs as transform_defs

    keys: set[dg.AssetKey] = set()
    for assets_def in transform_defs.assets or []:
        if not isinstance(assets_def, dg.AssetsDefinition):
            continue
        if time_partitioned_only and not isinstance(
            assets_def.partitions_def, dg.TimeWindowPartitionsDefinition
        ):
            continue
        keys |= {k for k in assets_def.keys if k.path[0] == "marts"}
    return sorted(keys, key=lambda k: k.to_user_string())


REPORT_KEYS: list[dg.AssetKey] = [*(report_key(kind) for kind in REPORT_KINDS), FLASH_KEY]

# Every dbt mart and report too: publish is the last step of a run, after everything it serves.
PUBLISH_DEPS: list[dg.AssetKey] = sorted(
    set(BASE_PUBLISH_DEPS) | set(dbt_mart_keys()) | set(REPORT_KEYS), key=lambda k: k.to_user_string()
)


def _publish_metadata(result: PublishResult) -> dict[str, dg.MetadataValue | int | float | str]:
    table_lines = "\n".join(f"| `{t.qualified_name}` | {t.row_count:,} |" for t in result.tables)
    return {
        "dagster/row_count": result.total_rows,
        "path": dg.MetadataValue.path(result.serving_path),
        "previous_path": dg.MetadataValue.path(result.previous_path or ""),
        "parquet_dir": dg.MetadataValue.path(result.parquet_dir),
        "generation": result.generation,
        "published_at": result.published_at,
        "publish_duration_seconds": dg.MetadataValue.float(result.duration_seconds),
        "table_count": len(result.tables),
        "tables": dg.MetadataValue.md("| table | rows |\n| --- | ---: |\n" + table_lines),
        "row_counts": dg.MetadataValue.json({t.qualified_name: t.row_count for t in result.tables}),
    }


def _require_no_failed_gate(warehouse: WarehouseResource) -> None:
    """BI keeps the last good state: nothing is published while any blocking check's latest
    result failed, whichever days it covers (publish serves every day at once)."""
    with warehouse.get_connection(read_only=True) as conn:
        failed = failed_blocking_checks(conn, ALL_TIME)
    if failed:
        raise dg.Failure(
            description="not published: " + gate_message(failed, ALL_TIME),
            metadata={"failed_checks": dg.MetadataValue.json([f.describe() for f in failed])},
        )


@dg.asset(
    key=PUBLISH_ASSET_KEY,
    deps=PUBLISH_DEPS,
    group_name="publish",
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,  # reads the working warehouse: must not overlap a writer
    description=(
        "Publishes schemas `marts` and `ops` of the working warehouse to "
        "`$JD_DATA_DIR/serving/warehouse.duckdb` (new file + atomic rename; the replaced file is "
        "kept as `warehouse.duckdb.previous`) and Parquet copies under `serving/parquet/` (a file per month of a dated table). "
        "BI tools read only these. A failed or killed publish leaves them unchanged."
    ),
)
def serving_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    _require_no_failed_gate(warehouse)
    settings = get_settings()
    result = publish_serving(settings)
    context.log.info(
        f"published {len(result.tables)} tables ({result.total_rows:,} rows) to "
        f"{result.serving_path} in {result.duration_seconds:.2f}s"
    )
    metadata = _publish_metadata(result)
    # Optional second copy for BI servers on other machines (JD_PG_DSN): the same generation.
    try:
        pg_result = publish_postgres(result.serving_path)
    except PublishError as exc:
        raise PublishError(
            f"the DuckDB file was published (generation {result.generation}), but PostgreSQL still serves "
            f"the previous generation: {exc}"
        ) from exc
    if pg_result is not None:
        context.log.info(
            f"published to PostgreSQL {pg_result.target}: {sum(t.copied for t in pg_result.tables)} changed "
            f"table(s), {pg_result.copied_rows:,} rows at {pg_result.rows_per_second:,.0f} rows/s, "
            f"{pg_result.duration_seconds:.2f}s"
        )
        metadata.update(_pg_metadata(pg_result))
    return dg.MaterializeResult(metadata=metadata)


def _pg_metadata(result: PgPublishResult) -> dict[str, dg.MetadataValue | int | float | str]:
    return {
        "postgres_target": result.target,
        "postgres_duration_seconds": dg.MetadataValue.float(result.duration_seconds),
        "postgres_copied_tables": sum(1 for t in result.tables if t.copied),
        "postgres_copied_rows": result.copied_rows,
        "postgres_rows_per_second": dg.MetadataValue.float(round(result.rows_per_second, 1)),
    }


defs = dg.Definitions(assets=[serving_warehouse])
