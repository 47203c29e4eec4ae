"""Contract-driven ingest of the landing zone into `raw.<source>` (issue 3).

Public API:
- `load_partition_range(conn, contract, start, end, landing_dir) -> LoadSummary`
- `load_files(conn, contract, files) -> LoadSummary`
- `scan_landing(landing_dir, source=None) -> list[LandingFile]`, `scan_refused(...)`
- `unseen_files(conn, files) -> list[LandingFile]` (for the landing-zone sensor)
- `latest_periods(conn) -> list[dict]` (newest loaded period per source x brand x store)
"""

from jd_pipeline.ingest.landing import LandingFile, RefusedPath, scan_landing, scan_refused
from jd_pipeline.ingest.loader import (
    FileResult,
    LoadSummary,
    files_in_range,
    load_files,
    load_partition_range,
)
from jd_pipeline.ingest.manifest import (
    ensure_ops_tables,
    ensure_warehouse_tables,
    latest_periods,
    unseen_files,
)

__all__ = [
    "FileResult",
    "LandingFile",
    "LoadSummary",
    "RefusedPath",
    "ensure_ops_tables",
    "ensure_warehouse_tables",
    "files_in_range",
    "latest_periods",
    "load_files",
    "load_partition_range",
    "scan_landing",
    "scan_refused",
    "unseen_files",
]
