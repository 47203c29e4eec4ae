"""A backfill launched from the UI's partition dialog runs as few runs as `jd-pipeline run`: every
partitioned asset of the project runs its whole range in one run (single-run backfill policy)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


def test_every_partitioned_asset_backfills_in_a_single_run(data_dir: Path) -> None:
    from jd_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    partitioned = [
        key for key in graph.materializable_asset_keys if graph.get(key).partitions_def is not None
    ]
    assert len(partitioned) > 50  # the ingest, staging, marts, quality, KPI, alert and report assets
    many_runs = sorted(
        key.to_user_string()
        for key in partitioned
        if graph.get(key).backfill_policy != dg.BackfillPolicy.single_run()
    )
    assert many_runs == []
