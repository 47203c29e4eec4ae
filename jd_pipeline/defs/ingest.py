"""Ingest assets: one per source of sources.md (`raw/<source>`), built from the contracts."""

from datetime import timedelta
from typing import Any

import dagster as dg

from jd_pipeline.config import get_settings
from jd_pipeline.contracts import Contract, load_contracts
from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND
from jd_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource
from jd_pipeline.ingest import LoadSummary, load_partition_range
from jd_pipeline.ingest.sql import q
from jd_pipeline.lake import source_url
from jd_pipeline.periods import quarter_label
from jd_pipeline.warehouse import fetch_value

MAX_LISTED_FILES = 20
HELD_CHECK = "no_held_delivery"


def raw_asset_key(source: str) -> dg.AssetKey:
    """`raw/<source>`: the ingest asset of a source (the one place this key is spelled)."""
    return dg.AssetKey(["raw", source])


def _period_labels(contract: Contract, partition_keys: list[str]) -> list[str]:
    if contract.period_kind == "quarterly":
        return [quarter_label(k) for k in partition_keys]
    return list(partition_keys)


def _metadata(
    summary: LoadSummary, row_count: int, contract: Contract, newest: str | None = None
) -> dict[str, Any]:
    statuses = ("loaded", "replaced", "duplicate", "rejected", "skipped")
    files = [f for f in summary.files if f.status != "skipped"]
    return {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "table": dg.MetadataValue.text(f"raw.{contract.source}"),
        # the newest period in the table, whatever this run loaded (late days show up here)
        "newest_period_loaded": dg.MetadataValue.text(str(newest or "none")),
        "files": dg.MetadataValue.int(len(files)),
        **{f"files_{s}": dg.MetadataValue.int(len(summary.by_status(s))) for s in statuses},
        "rows_read": dg.MetadataValue.int(summary.rows_read),
        "rows_loaded": dg.MetadataValue.int(summary.rows_loaded),
        "rows_quarantined": dg.MetadataValue.int(summary.rows_quarantined),
        "rows_total_dropped": dg.MetadataValue.int(summary.rows_total),
        # A backfill writes this once per partition: keep it bounded (the manifest has them all).
        "file_list": dg.MetadataValue.json(
            [
                {
                    "path": f.path,
                    "status": f.status,
                    "rows_loaded": f.rows_loaded,
                    "rows_quarantined": f.rows_quarantined,
                }
                for f in files[:MAX_LISTED_FILES]
            ]
        ),
        "files_not_listed": dg.MetadataValue.int(max(0, len(files) - MAX_LISTED_FILES)),
        "rejected_files": dg.MetadataValue.json(summary.rejected),
        **_lake_metadata(summary),
    }


def _lake_metadata(summary: LoadSummary) -> dict[str, Any]:
    """What the raw lake's sync after the load did (nothing when JD_RAW_LAKE_URL is unset)."""
    lake = summary.lake
    if lake is None:
        return {}
    return {
        "lake_url": dg.MetadataValue.text(source_url(lake.url, lake.source)),
        "lake_units_written": dg.MetadataValue.int(lake.units_written),
        "lake_units_removed": dg.MetadataValue.int(lake.units_removed),
        "lake_units": dg.MetadataValue.int(lake.units_total),
        "lake_rows_written": dg.MetadataValue.int(lake.rows_written),
        "lake_seconds": dg.MetadataValue.float(round(lake.seconds, 3)),
    }


def build_ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    kinds = {"duckdb", "csv" if contract.file_kinds == ("csv",) else "excel"}

    @dg.asset(
        key=raw_asset_key(contract.source),
        group_name="ingest",
        description=f"raw.{contract.source}: {contract.description} Loaded by the contract-driven loader "
        f"(jd_pipeline/contracts/{contract.source}.yaml); bad rows in ops.quarantine_rows, files in "
        "ops.load_manifest.",
        kinds=kinds,
        partitions_def=PARTITIONS_BY_PERIOD_KIND[contract.period_kind],
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        check_specs=[
            dg.AssetCheckSpec(
                HELD_CHECK,
                asset=raw_asset_key(contract.source),
                blocking=True,
                description="No delivery of the partition is held: a re-delivery shrinking its period by more than "
                "JD_HOLD_SHRINK, or a near-empty day of a daily source (under JD_HOLD_LOW_DAY of its recent median), "
                "is held (what was loaded stays live) until `jd-pipeline accept <path>`; while one is, nothing "
                "downstream is rebuilt.",
            )
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        window = context.partition_time_window
        start, end = window.start.date(), (window.end - timedelta(days=1)).date()
        labels = _period_labels(contract, context.partition_keys)
        with warehouse.get_connection() as conn:
            summary = load_partition_range(conn, contract, start, end, get_settings().landing_dir)
            row_count = fetch_value(
                conn,
                f"SELECT count(*) FROM raw.{q(contract.source)} WHERE _period IN (SELECT unnest(?))",
                [labels],
            )
            held = dict(
                conn.execute(
                    "SELECT path, reason FROM ops.load_manifest WHERE source = ? AND status = 'held' "
                    "AND period IN (SELECT unnest(?)) ORDER BY path",
                    [contract.source, labels],
                ).fetchall()
            )
            newest = fetch_value(conn, f"SELECT max(_period) FROM raw.{q(contract.source)}")
        for path, reason in summary.rejected.items():
            context.log.warning(f"rejected {path}: {reason}")
        context.log.info(
            f"{contract.source} {start}..{end}: {len(summary.files)} file(s), read {summary.rows_read}, "
            f"loaded {summary.rows_loaded}, quarantined {summary.rows_quarantined}"
        )
        for path, reason in held.items():
            context.log.warning(f"held {path}: {reason}")
        check = dg.AssetCheckResult(
            check_name=HELD_CHECK,
            passed=not held,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "held_files": dg.MetadataValue.json(dict(list(held.items())[:MAX_LISTED_FILES])),
                "held_count": dg.MetadataValue.int(len(held)),
            },
        )
        return dg.MaterializeResult(
            metadata=_metadata(summary, row_count, contract, newest), check_results=[check]
        )

    return _ingest


ingest_assets = [build_ingest_asset(c) for c in load_contracts().values()]

defs = dg.Definitions(assets=ingest_assets)  # resources: jd_pipeline.definitions
