"""Where a loader unit lives in the raw lake (LAKE_SPEC: `<url>/<source>/brand=<b>/store=<s>/period=<p>[/file=<k>]/part.parquet`).

Every segment value is percent-encoded (`quote(v, safe="")`): brands, stores, periods and file
names may hold `/`, spaces or Chinese, and an object key must spell them one way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

PART_NAME = "part.parquet"
# A unit's object is written under this prefix first, then moved onto PART_NAME. The name starts
# with `_` (Spark and Hive skip such files) and does not end in `.parquet` (a DuckDB reader's
# `**/*.parquet` glob never matches it), so no reader sees a half-written object.
TMP_PREFIX = "_tmp-"
TMP_SUFFIX = ".parquet.tmp"
NO_STORE = "_none_"
NO_FILE = "_none_"


@dataclass(frozen=True, order=True)
class LakeUnit:
    """One loader unit: (source, brand, store, period[, file_key when the contract replaces per file])."""

    source: str
    brand: str
    store: str | None
    period: str
    file_key: str | None = None

    def relpath(self, per_file: bool) -> str:
        """The unit's object key below the lake URL."""
        parts = [
            quote(self.source, safe=""),
            "brand=" + quote(self.brand, safe=""),
            "store=" + quote(self.store if self.store is not None else NO_STORE, safe=""),
            "period=" + quote(self.period, safe=""),
        ]
        if per_file:
            parts.append("file=" + quote(self.file_key if self.file_key is not None else NO_FILE, safe=""))
        return "/".join([*parts, PART_NAME])

    def describe(self) -> str:
        """For messages: `jd_ads acme/-/2026-03-01`, with the file key when there is one."""
        text = f"{self.source} {self.brand}/{self.store or '-'}/{self.period}"
        return f"{text}/{self.file_key}" if self.file_key is not None else text


def source_url(url: str, source: str) -> str:
    """The folder a reader reads `raw.<source>` from (recursively, every `*.parquet` in it)."""
    return f"{url.rstrip('/')}/{quote(source, safe='')}"


def duckdb_glob(url: str, source: str) -> str:
    """What DuckDB reads: `read_parquet(<this>, hive_partitioning = false)`."""
    return f"{source_url(url, source)}/**/*.parquet"
