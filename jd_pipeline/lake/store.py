"""The lake's storage: an fsspec filesystem and the atomic write of one unit's object.

A unit's rows are exported by DuckDB (`COPY (SELECT ...) TO '<tmp>' (FORMAT parquet)`) into a
complete temporary file, which `put` then moves onto the unit's key:

- a local folder: the temporary file is written inside the unit's folder and `os.replace`d onto
  `part.parquet` (an atomic rename on one file system);
- an object store (`s3://`, `memory://`, ...): the file is written locally, uploaded to a
  temporary key beside the unit and moved onto `part.parquet` (a single-object copy, atomic per
  key), then the temporary key is deleted.

Either way a reader sees the unit's previous object or its new one, never a part of one.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb
import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from jd_pipeline.ingest.sql import lit
from jd_pipeline.lake.paths import TMP_PREFIX, TMP_SUFFIX


@dataclass
class Lake:
    """The lake at `url`: `write(conn, select_sql, relpath)` and `remove(relpath)`."""

    url: str
    fs: fsspec.AbstractFileSystem = field(init=False, repr=False)
    root: str = field(init=False)

    def __post_init__(self) -> None:
        fs: Any
        fs, root = url_to_fs(self.url)
        self.fs, self.root = fs, root.rstrip("/")

    @property
    def local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, relpath: str) -> str:
        """The filesystem path of `relpath` (what `self.fs` takes)."""
        return f"{self.root}/{relpath}"

    def object_url(self, relpath: str) -> str:
        """The URL a reader would use for `relpath` (recorded in ops.lake_units)."""
        return f"{self.url.rstrip('/')}/{relpath}"

    def write(self, conn: duckdb.DuckDBPyConnection, select_sql: str, relpath: str) -> None:
        """Export `select_sql` as Parquet and make it the object at `relpath`, atomically."""
        final = self.path(relpath)
        if self.local:
            folder = posixpath.dirname(final)
            os.makedirs(folder, exist_ok=True)
            tmp = f"{folder}/{TMP_PREFIX}{uuid.uuid4().hex}{TMP_SUFFIX}"
            try:
                _copy(conn, select_sql, tmp)
                self.put(tmp, relpath)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(tmp)
            return
        with tempfile.TemporaryDirectory(prefix="jd-lake-") as work:
            tmp = f"{work}/{TMP_PREFIX}{uuid.uuid4().hex}{TMP_SUFFIX}"
            _copy(conn, select_sql, tmp)
            self.put(tmp, relpath)

    def put(self, tmp: str, relpath: str) -> None:
        """Move the finished local file `tmp` onto the object at `relpath` (the commit step)."""
        final = self.path(relpath)
        if self.local:
            os.replace(tmp, final)
            return
        staged = f"{posixpath.dirname(final)}/{TMP_PREFIX}{uuid.uuid4().hex}{TMP_SUFFIX}"
        try:
            self.fs.put_file(tmp, staged)
            self.fs.mv(staged, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                if self.fs.exists(staged):
                    self.fs.rm(staged)

    def remove(self, relpath: str) -> None:
        """Delete the object at `relpath` (gone already: nothing to do); on a local folder also
        the unit's folders left empty, up to the source's folder."""
        final = self.path(relpath)
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(final)
        if self.local:
            folder = posixpath.dirname(final)
            stop = self.path(relpath.split("/", 1)[0])
            while folder.startswith(stop + "/"):
                try:
                    os.rmdir(folder)
                except OSError:  # not empty (another unit lives below), or gone
                    break
                folder = posixpath.dirname(folder)

    def sweep_temporaries(self, prefix: str = "") -> int:
        """Delete temporary objects a killed writer left behind (no reader reads them; this only
        tidies). Returns how many were deleted."""
        base = self.path(prefix).rstrip("/") if prefix else self.root
        if not self.fs.exists(base):
            return 0
        stale = [p for p in self.fs.find(base) if posixpath.basename(p).startswith(TMP_PREFIX)]
        for p in stale:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(p)
        return len(stale)


def _copy(conn: duckdb.DuckDBPyConnection, select_sql: str, target: str) -> None:
    conn.execute(f"COPY ({select_sql}) TO {lit(target)} (FORMAT parquet)")
