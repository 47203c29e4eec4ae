"""Resources and the single-writer pool shared by all domains."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from jd_pipeline.config import duckdb_config, get_settings

# Every step that writes the DuckDB warehouse runs in this pool; dagster.yaml limits it to 1,
# so parallel runs queue instead of failing on DuckDB's file lock.
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """Connections to the working warehouse `$JD_DATA_DIR/warehouse/warehouse.duckdb`.

    The path is resolved at run time from `JD_DATA_DIR` unless `database` is given.
    Open a connection only for the duration of a step (dbt runs in a subprocess and needs the lock).
    """

    database: str = ""

    @property
    def path(self) -> str:
        return self.database or str(get_settings().warehouse_db)

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        settings = get_settings()
        if not read_only:
            settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(self.path, read_only=read_only, config=duckdb_config())
        try:
            yield conn
        finally:
            conn.close()
