"""The raw lake (issue #18 item 1, docs/raw_lake.md): `raw.<source>` as Parquet any engine reads.

One Parquet object per loader unit under `JD_RAW_LAKE_URL` (a folder or an fsspec URL), written
atomically after each ingest commit; `ops.lake_units` records what the lake holds. Beside raw, the
other warehouse tables the dbt models read: the config tables and ops.file_totals (lake/tables.py).
Off by default.

Public API (stable: the Spark harness and the CLI use it):
- `sync_lake(conn, contract, url=None) -> LakeSyncResult | None`: one source; raises `LakeSyncError`
- `sync_all(conn, contracts, url, progress=None) -> list[LakeSyncResult]`: every source
- `sync_config(conn, url=None) -> list[str]`: the config tables' objects (brands.write_config_tables)
- `lake_url() -> str | None`: `JD_RAW_LAKE_URL` (None: off)
- `source_url(url, source)`, `duckdb_glob(url, source)`: where a reader reads `raw.<source>`
- `LakeUnit`, `Lake`: a unit's key, the fsspec storage with the atomic write
"""

from jd_pipeline.lake.paths import LakeUnit, duckdb_glob, source_url
from jd_pipeline.lake.store import Lake
from jd_pipeline.lake.sync import LakeSyncError, LakeSyncResult, lake_url, sync_all, sync_config, sync_lake

__all__ = [
    "Lake",
    "LakeSyncError",
    "LakeSyncResult",
    "LakeUnit",
    "duckdb_glob",
    "lake_url",
    "source_url",
    "sync_all",
    "sync_config",
    "sync_lake",
]
