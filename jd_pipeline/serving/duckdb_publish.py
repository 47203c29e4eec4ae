"""Publish schemas `marts` and `ops` of the working warehouse to the served copy BI tools read.

Guarantees (docs/bi_access.md):

- The served file `$JD_DATA_DIR/serving/warehouse.duckdb` is only ever changed by one
  `os.replace` of a complete, checkpointed, fsynced new file. A reader that opened it keeps its
  snapshot (the old inode); a new connection sees the new one. A publish that fails or is killed
  at any point leaves the served file byte-identical (leftover temp files are removed by the
  next publish).
- The file it replaces is kept as `warehouse.duckdb.previous` (one generation, for roll-back).
- Parquet copies: `serving/parquet` is a symlink to a complete generation directory
  `serving/.parquet_generations/<generation>/<schema>/`, swapped atomically; the previous
  generation is kept, older ones are deleted. A table with a DATE column is a folder of one file
  per month of it (`<table>/<YYYY-MM>.parquet`, rows without a date in `undated.parquet`, which
  always exists so an empty table still has its schema); any other table is `<table>.parquet`.
- Publishers are serialized by an advisory lock on `serving/.publish.lock`.

Only what changed is written. `ops.publish_info` records a content fingerprint of every table
(row count, order-independent hash of the rows, column types). The next publish starts from a
byte copy of the served file, keeps the tables whose fingerprint is unchanged, rewrites only the
changed days (or months: the table's first DATE column) of a changed table that has a date
column, and recreates the other changed tables; the Parquet generation hard-links the files of
unchanged tables and unchanged months from the served generation and writes the others, so a
night that restates a few days writes a month or two per table however long the history. An updated table is hashed
again before the swap and must equal its source. The new file is still swapped in whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from jd_pipeline.config import Settings, duckdb_config, get_settings
from jd_pipeline.warehouse import fetch_row, fetch_value

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "ops")
PUBLISH_INFO_TABLE = "publish_info"  # ops.publish_info in the served copy: one row per publish
PUBLISH_JSON = "publish.json"
PARQUET_GENERATIONS_DIR = ".parquet_generations"
TMP_PREFIX = ".publish-"
LOCK_FILE = ".publish.lock"
UNDATED = "undated"  # the Parquet file of a monthly table's rows whose date is NULL
FINGERPRINT_FORMAT = 1  # bump when the fingerprint changes meaning: the next publish copies every table


class PublishError(RuntimeError):
    """The publish could not complete; the served files are unchanged."""


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    row_count: int
    parquet_path: str
    fingerprint: str = ""
    action: str = "copied"  # "copied" (whole table), "updated" (changed partitions), "kept" (unchanged)
    written_rows: int = 0  # rows written into the served copy by this publish
    changed_months: tuple[str, ...] = ()  # "updated": months (YYYY-MM, or "undated") with changed rows

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class PublishResult:
    generation: str
    published_at: str  # ISO-8601 UTC
    source_path: str
    serving_path: str
    previous_path: str | None
    parquet_dir: str
    duration_seconds: float
    tables: list[PublishedTable] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(t.row_count for t in self.tables)

    def to_json(self) -> dict:
        data = asdict(self)
        data["total_rows"] = self.total_rows
        return data


# --------------------------------------------------------------------------------------------
# public API


def publish_serving(
    settings: Settings | None = None,
    *,
    source_db: Path | str | None = None,
    schemas: Sequence[str] = PUBLISHED_SCHEMAS,
    write_parquet: bool = True,
    allow_dropped_tables: bool | None = None,
) -> PublishResult:
    """Copy `schemas` of the working warehouse into a new served DuckDB file (+ Parquet), atomically.

    `source_db` defaults to `settings.warehouse_db`. Raises `PublishError` (served files untouched)
    if the source is missing, locked by a writer, has none of the schemas, or lacks a table the
    served file has (BI relies on it; a skipped dbt model must not make a mart vanish). Allow that
    on purpose with `allow_dropped_tables=True` or `JD_PUBLISH_ALLOW_DROP=1`.
    """
    if allow_dropped_tables is None:
        allow_dropped_tables = os.environ.get("JD_PUBLISH_ALLOW_DROP") == "1"
    settings = settings or get_settings()
    source = Path(source_db) if source_db else settings.warehouse_db
    if not source.exists():
        raise PublishError(f"working warehouse {source} does not exist: nothing to publish")
    serving_dir = settings.serving_dir
    serving_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generation = _new_generation_id()
    with _publish_lock(serving_dir):
        _remove_leftovers(serving_dir)
        tmp_db = serving_dir / f"{TMP_PREFIX}{generation}.duckdb"
        tmp_parquet = serving_dir / PARQUET_GENERATIONS_DIR / f"{TMP_PREFIX}{generation}"
        final_parquet = serving_dir / PARQUET_GENERATIONS_DIR / generation
        try:
            base = _reusable_base(settings.serving_db, serving_dir)
            tables = _build_new_file(source, tmp_db, schemas, base)
            if not allow_dropped_tables:
                _refuse_dropped_tables(settings.serving_db, tables, schemas)
            if write_parquet:
                tables = _write_parquet(
                    tmp_db, tmp_parquet, tables, final_parquet, base.parquet_dir if base else None
                )
            published_at = datetime.now(UTC).isoformat(timespec="seconds")
            _stamp_publish_info(tmp_db, generation, published_at, source, tables)
            _fsync_file(tmp_db)
            previous = _swap_in(tmp_db, settings.serving_db)
            if write_parquet:
                os.rename(tmp_parquet, final_parquet)  # complete generations never have the temp prefix
                _swap_parquet_link(serving_dir, final_parquet)
                _prune_parquet_generations(serving_dir)
        except BaseException:
            # Anything (error, KeyboardInterrupt) before the swap: the served files are untouched.
            _unlink_quietly(tmp_db)
            _unlink_quietly(Path(str(tmp_db) + ".wal"))
            shutil.rmtree(tmp_parquet, ignore_errors=True)
            raise
        result = PublishResult(
            generation=generation,
            published_at=published_at,
            source_path=str(source),
            serving_path=str(settings.serving_db),
            previous_path=str(previous) if previous else None,
            parquet_dir=str(settings.serving_parquet_dir),
            duration_seconds=round(time.perf_counter() - started, 3),
            tables=tables,
        )
        _write_json_atomically(serving_dir / PUBLISH_JSON, result.to_json())
    return result


def rollback_serving(settings: Settings | None = None) -> Path:
    """Swap `warehouse.duckdb.previous` back in as the served file (the current one becomes previous),
    and the Parquet link to that file's own generation: BI reading either copy sees the same data.
    Refused (nothing changed) if that generation's Parquet directory is gone."""
    settings = settings or get_settings()
    served, previous = settings.serving_db, previous_path(settings)
    if not previous.exists():
        raise PublishError(f"no previous published file at {previous}")
    with _publish_lock(settings.serving_dir):
        parquet = _parquet_generation_of(previous, settings.serving_dir)
        tmp = settings.serving_dir / f"{TMP_PREFIX}rollback.duckdb"
        _unlink_quietly(tmp)
        os.link(previous, tmp)
        if served.exists():
            os.replace(served, previous)  # previous (old inode) now = what was served
        os.replace(tmp, served)
        _fsync_dir(settings.serving_dir)
        if parquet is not None:
            _swap_parquet_link(settings.serving_dir, parquet)
    return served


def _parquet_generation_of(db: Path, serving_dir: Path) -> Path | None:
    """The Parquet generation directory published with `db` (its `ops.publish_info` stamp); None
    when served without Parquet (no generations at all). Raises if the generation is missing."""
    root = serving_dir / PARQUET_GENERATIONS_DIR
    if not root.is_dir() or not any(root.iterdir()):
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(f"SELECT generation FROM ops.{PUBLISH_INFO_TABLE}").fetchone()
    except duckdb.Error:
        row = None
    finally:
        con.close()
    target = root / str(row[0]) if row else None
    if target is None or not target.is_dir():
        raise PublishError(
            f"the Parquet generation of {db.name} is gone; not rolled back (republish instead)"
        )
    return target


def previous_path(settings: Settings) -> Path:
    return settings.serving_db.with_name(settings.serving_db.name + ".previous")


def read_publish_info(settings: Settings | None = None) -> dict | None:
    """The last successful publish (from `serving/publish.json`), or None if never published."""
    settings = settings or get_settings()
    path = settings.serving_dir / PUBLISH_JSON
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


# --------------------------------------------------------------------------------------------
# building the new file


@dataclass(frozen=True)
class _Base:
    """The served file a publish may start from: the fingerprints it recorded, and its Parquet
    generation when that is the one `serving/parquet` links to (None: every Parquet file written)."""

    path: Path
    fingerprints: dict[str, str]
    parquet_dir: Path | None


def _reusable_base(served: Path, serving_dir: Path) -> _Base | None:
    """The served file, when it recorded fingerprints (published by this code); else None and the
    publish copies every table into a new file."""
    if not served.exists():
        return None
    try:
        con = duckdb.connect(str(served), read_only=True)
    except duckdb.Error:
        return None  # unreadable served file: replacing it whole is the fix
    try:
        row = con.execute(f"SELECT generation, fingerprints FROM ops.{PUBLISH_INFO_TABLE}").fetchone()
    except duckdb.Error:
        row = None  # published before fingerprints were recorded
    finally:
        con.close()
    if not row or not row[1]:
        return None
    generation, fingerprints = str(row[0]), json.loads(row[1])
    link = serving_dir / "parquet"
    parquet = link.resolve() if link.is_symlink() else None
    if parquet is None or parquet.name != generation or not parquet.is_dir():
        parquet = None
    return _Base(served, fingerprints, parquet)


def _build_new_file(
    source: Path, tmp_db: Path, schemas: Sequence[str], base: _Base | None = None
) -> list[PublishedTable]:
    """The new served file in `tmp_db`: a byte copy of `base` brought up to date table by table,
    or (no base) every table copied into an empty file."""
    if base is not None:
        shutil.copyfile(base.path, tmp_db)  # in-kernel copy; unchanged tables are not decoded
    con = duckdb.connect(str(tmp_db), config=duckdb_config())
    try:
        _attach_source(con, source)
        relations = _list_relations(con, schemas)
        if not relations:
            raise PublishError(
                f"working warehouse {source} has no tables in schemas {', '.join(schemas)}: "
                "has the pipeline run?"
            )
        for schema in sorted({s for s, _ in relations}):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
        recorded = base.fingerprints if base else {}
        present = _tables_in_copy(con, schemas)
        tables = [
            _publish_table(con, schema, name, recorded, (schema, name) in present)
            for schema, name in relations
        ]
        for schema, name in sorted(present - set(relations)):
            con.execute(
                f"DROP TABLE {_q(schema)}.{_q(name)}"
            )  # gone from the source (refused later unless allowed)
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
        return tables
    finally:
        con.close()


def _tables_in_copy(con: duckdb.DuckDBPyConnection, schemas: Sequence[str]) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT temporary"
    ).fetchall()
    return {(str(s), str(t)) for s, t in rows if s in schemas and t != PUBLISH_INFO_TABLE}


def _publish_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, recorded: dict[str, str], in_copy: bool
) -> PublishedTable:
    """Bring one table of the copy to its source's content: keep, update changed partitions, or copy.

    A table with a DATE column is hashed per partition (day or month) in one scan: the sums give
    its fingerprint, and, when it changed, which partitions to replace."""
    target = f"{_q(schema)}.{_q(name)}"
    columns = _column_types(con, "src", schema, name)
    partition = _partition_column(columns)
    qualified = f"{schema}.{name}"
    try:
        if partition:
            count, rows_hash = _partition_hashes(con, "publish_source", f"src.{target}", partition)
        else:
            count, rows_hash = _table_hash(con, f"src.{target}")
        fingerprint = _digest(columns, count, rows_hash)
        if in_copy and recorded.get(qualified) == fingerprint:
            return PublishedTable(schema, name, count, "", fingerprint, "kept", 0)
        if (
            in_copy
            and partition
            and qualified in recorded
            and _column_types(con, None, schema, name) == columns
        ):
            _partition_hashes(con, "publish_served", target, partition)
            written, months = _changed_partitions(con)
            if written * 2 <= count:  # else copying the whole table is cheaper
                _replace_partitions(con, target, partition)
                if _updated_totals(con, target, partition) != (count, rows_hash):
                    raise PublishError(
                        f"{qualified}: the updated served copy does not equal its source; not published"
                    )
                return PublishedTable(schema, name, count, "", fingerprint, "updated", written, months)
        con.execute(f"DROP TABLE IF EXISTS {target}")
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM src.{target}")
        return PublishedTable(schema, name, count, "", fingerprint, "copied", count)
    finally:
        for temp in ("publish_source", "publish_served", "publish_changed"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")


def _column_types(
    con: duckdb.DuckDBPyConnection, database: str | None, schema: str, name: str
) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = coalesce(?, current_database()) AND schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [database, schema, name],
    ).fetchall()
    return [(str(c), str(t)) for c, t in rows]


def _table_hash(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """Row count and the order-independent sum of the rows' hashes."""
    count, rows_hash = fetch_row(
        con, f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {relation} AS t"
    )
    return int(count), int(rows_hash)


def _partition_hashes(
    con: duckdb.DuckDBPyConnection, temp: str, relation: str, partition: str
) -> tuple[int, int]:
    """Temp table `temp` (p, n, h): rows and hash sum per value of `partition`; returns the totals
    (the same as `_table_hash`: the sum of the partitions' sums)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {temp} AS
            SELECT {_q(partition)} AS p, count(*) AS n, sum(hash(t)::HUGEINT) AS h FROM {relation} AS t GROUP BY ALL"""
    )
    count, rows_hash = fetch_row(con, f"SELECT coalesce(sum(n), 0), coalesce(sum(h), 0)::HUGEINT FROM {temp}")
    return int(count), int(rows_hash)


def _digest(columns: list[tuple[str, str]], count: int, rows_hash: int) -> str:
    """The fingerprint recorded per table: (format, DuckDB version, columns, row count, hash sum)."""
    described = json.dumps([FINGERPRINT_FORMAT, duckdb.__version__, columns, count, str(rows_hash)])
    return hashlib.sha256(described.encode()).hexdigest()


def _partition_column(columns: list[tuple[str, str]]) -> str | None:
    """The table's first DATE column: incremental marts restate whole days (or months) of it."""
    return next((c for c, t in columns if t == "DATE"), None)


def _changed_partitions(con: duckdb.DuckDBPyConnection) -> tuple[int, tuple[str, ...]]:
    """Temp table `publish_changed` (p): the partitions whose rows differ between `publish_source`
    and `publish_served`; returns the source rows in them and the months they fall in."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE publish_changed AS
           SELECT coalesce(s.p, d.p) AS p, coalesce(s.n, 0) AS source_rows
           FROM publish_source s FULL JOIN publish_served d ON s.p IS NOT DISTINCT FROM d.p
           WHERE s.n IS DISTINCT FROM d.n OR s.h IS DISTINCT FROM d.h"""
    )
    written = fetch_value(con, "SELECT coalesce(sum(source_rows), 0) FROM publish_changed")
    months = con.execute(f"SELECT DISTINCT {_month_of('p')} FROM publish_changed ORDER BY 1").fetchall()
    return int(written), tuple(str(m) for (m,) in months)


def _in_changed(partition: str) -> str:
    return f"EXISTS (SELECT 1 FROM publish_changed c WHERE c.p IS NOT DISTINCT FROM t.{_q(partition)})"


def _replace_partitions(con: duckdb.DuckDBPyConnection, target: str, partition: str) -> None:
    """The changed partitions of the copy replaced by the source's rows."""
    con.execute(f"DELETE FROM {target} AS t WHERE {_in_changed(partition)}")
    con.execute(f"INSERT INTO {target} SELECT * FROM src.{target} AS t WHERE {_in_changed(partition)}")


def _updated_totals(con: duckdb.DuckDBPyConnection, target: str, partition: str) -> tuple[int, int]:
    """Row count and hash sum of the updated copy: the unchanged partitions as hashed before the
    update, the replaced ones hashed again from the copy (the rows written are read back)."""
    count, rows_hash = fetch_row(
        con,
        f"""SELECT coalesce(sum(n), 0), coalesce(sum(h), 0)::HUGEINT FROM (
                SELECT n, h FROM publish_served d
                WHERE NOT EXISTS (SELECT 1 FROM publish_changed c WHERE c.p IS NOT DISTINCT FROM d.p)
                UNION ALL
                SELECT count(*), sum(hash(t)::HUGEINT) FROM {target} AS t WHERE {_in_changed(partition)})""",
    )
    return int(count), int(rows_hash)


def _refuse_dropped_tables(served: Path, tables: list[PublishedTable], schemas: Sequence[str]) -> None:
    if not served.exists():
        return
    try:
        con = duckdb.connect(str(served), read_only=True)
    except duckdb.Error:
        return  # unreadable served file: replacing it is the fix
    try:
        before = {
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"
            ).fetchall()
            if s in schemas and t != PUBLISH_INFO_TABLE
        }
    finally:
        con.close()
    missing = sorted(before - {t.qualified_name for t in tables})
    if missing:
        raise PublishError(
            f"the working warehouse lacks {len(missing)} table(s) that BI reads in the served copy: "
            f"{', '.join(missing)} (a failed or skipped model?). Not published; set "
            "JD_PUBLISH_ALLOW_DROP=1 to drop them on purpose."
        )


def _attach_source(con: duckdb.DuckDBPyConnection, source: Path) -> None:
    try:
        con.execute(f"ATTACH {_lit(str(source))} AS src (READ_ONLY)")
    except duckdb.IOException as exc:
        raise PublishError(
            f"cannot open the working warehouse {source} read-only (is a writer holding it? publish "
            f"must run in the `duckdb_warehouse` pool): {exc}"
        ) from exc


def _list_relations(con: duckdb.DuckDBPyConnection, schemas: Sequence[str]) -> list[tuple[str, str]]:
    """Tables and views of `schemas` in the attached source, internal/temp ones excluded."""
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        f"""
        SELECT schema_name, table_name FROM duckdb_tables()
        WHERE database_name = 'src' AND schema_name IN ({placeholders}) AND NOT temporary
        UNION
        SELECT schema_name, view_name FROM duckdb_views()
        WHERE database_name = 'src' AND schema_name IN ({placeholders}) AND NOT temporary
        ORDER BY 1, 2
        """,
        [*schemas, *schemas],
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows if t != PUBLISH_INFO_TABLE]


def _stamp_publish_info(
    tmp_db: Path, generation: str, published_at: str, source: Path, tables: list[PublishedTable]
) -> None:
    con = duckdb.connect(str(tmp_db), config=duckdb_config())
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute(
            f"""CREATE OR REPLACE TABLE ops.{PUBLISH_INFO_TABLE} (
                generation VARCHAR, published_at TIMESTAMPTZ, source_path VARCHAR,
                tables JSON, total_rows BIGINT, fingerprints JSON)"""
        )
        con.execute(
            f"INSERT INTO ops.{PUBLISH_INFO_TABLE} VALUES (?, ?::TIMESTAMPTZ, ?, ?, ?, ?)",
            [
                generation,
                published_at,
                str(source),
                json.dumps({t.qualified_name: t.row_count for t in tables}),
                sum(t.row_count for t in tables),
                json.dumps({t.qualified_name: t.fingerprint for t in tables}),
            ],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _write_parquet(
    tmp_db: Path, tmp_dir: Path, tables: list[PublishedTable], final_dir: Path, served_dir: Path | None = None
) -> list[PublishedTable]:
    """The Parquet generation: per table one file, or one file per month of its DATE column. A file
    whose rows did not change shares the served generation's file (a hard link: Parquet files are
    never written after their generation is complete)."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(tmp_db), read_only=True)
    out: list[PublishedTable] = []
    written: list[Path] = []
    try:
        for t in tables:
            (tmp_dir / t.schema).mkdir(exist_ok=True)
            served_schema = served_dir / t.schema if served_dir else None
            partition = _partition_column(_column_types(con, None, t.schema, t.name))
            if partition is None:
                name = f"{t.name}.parquet"
                relation = f"{_q(t.schema)}.{_q(t.name)}"
                served = served_schema / name if served_schema else None
                reuse = t.action == "kept" and served is not None and served.is_file()
                written += _write_or_link(con, relation, tmp_dir / t.schema / name, served if reuse else None)
            else:
                name = t.name
                written += _write_monthly(con, t, partition, tmp_dir / t.schema / name, served_schema)
            out.append(replace(t, parquet_path=str(final_dir / t.schema / name)))
    finally:
        con.close()
    for path in written:
        _fsync_file(path)
    return out


def _write_monthly(
    con: duckdb.DuckDBPyConnection,
    table: PublishedTable,
    partition: str,
    folder: Path,
    served_schema: Path | None,
) -> list[Path]:
    """`folder/<YYYY-MM>.parquet` per month of `partition` and `folder/undated.parquet`; months
    unchanged since the served generation are linked from it. Returns the files written.

    A kept or updated table's months come from the served folder and the months the update
    touched, so a night does not scan the whole table to list them."""
    folder.mkdir()
    served = served_schema / table.name if served_schema else None
    relation = f"{_q(table.schema)}.{_q(table.name)}"
    served_months = {f.stem for f in served.glob("*.parquet")} if served and served.is_dir() else set()
    incremental = table.action in ("kept", "updated") and UNDATED in served_months
    if incremental:
        changed = set(table.changed_months)
        months = (served_months | changed) - {
            m for m in changed if not _has_rows(con, relation, partition, m)
        }
    else:
        changed = None  # every month is written
        months = {
            str(m)
            for (m,) in con.execute(f"SELECT DISTINCT {_month_of(_q(partition))} FROM {relation}").fetchall()
        }
    written: list[Path] = []
    for month in sorted(months | {UNDATED}):
        reuse = (
            served / f"{month}.parquet" if served and changed is not None and month not in changed else None
        )
        rows = f"(SELECT * FROM {relation} WHERE {_in_month(_q(partition), month)})"
        written += _write_or_link(con, rows, folder / f"{month}.parquet", reuse)
    return written


def _has_rows(con: duckdb.DuckDBPyConnection, relation: str, partition: str, month: str) -> bool:
    return bool(
        fetch_value(con, f"SELECT EXISTS (SELECT 1 FROM {relation} WHERE {_in_month(_q(partition), month)})")
    )


def _month_of(column: str) -> str:
    return f"coalesce(strftime({column}, '%Y-%m'), '{UNDATED}')"


def _in_month(column: str, month: str) -> str:
    if month == UNDATED:
        return f"{column} IS NULL"
    first = f"DATE {_lit(month + '-01')}"
    return f"{column} >= {first} AND {column} < {first} + INTERVAL 1 MONTH"


def _write_or_link(con: duckdb.DuckDBPyConnection, rows: str, path: Path, served: Path | None) -> list[Path]:
    """Link `served` to `path`, or write `rows` there; the files written (to fsync)."""
    if served is not None:
        os.link(served, path)
        return []
    con.execute(f"COPY {rows} TO {_lit(str(path))} (FORMAT parquet, COMPRESSION zstd)")
    return [path]


# --------------------------------------------------------------------------------------------
# swapping


def _swap_in(tmp_db: Path, served: Path) -> Path | None:
    """Keep the current served file as `.previous` (hard link: the served path never disappears),
    then atomically replace the served file with `tmp_db`. Returns the previous file, if any."""
    previous = served.with_name(served.name + ".previous")
    kept: Path | None = None
    if served.exists():
        link = served.with_name(f"{TMP_PREFIX}previous-{uuid.uuid4().hex[:8]}")
        os.link(served, link)
        os.replace(link, previous)
        kept = previous
    os.replace(tmp_db, served)
    _fsync_dir(served.parent)
    return kept


def _swap_parquet_link(serving_dir: Path, generation_dir: Path) -> None:
    link_path = serving_dir / "parquet"
    if link_path.exists() and not link_path.is_symlink():
        # A plain directory from an older layout: move it aside once (becomes a prunable generation).
        os.rename(link_path, serving_dir / PARQUET_GENERATIONS_DIR / f"legacy-{uuid.uuid4().hex[:8]}")
    tmp_link = serving_dir / f"{TMP_PREFIX}parquet-link-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(generation_dir, serving_dir), tmp_link)
    os.replace(tmp_link, link_path)
    _fsync_dir(serving_dir)


def _prune_parquet_generations(serving_dir: Path, keep: int = 2) -> None:
    """Keep the served Parquet generation and the one before it."""
    root = serving_dir / PARQUET_GENERATIONS_DIR
    current = (serving_dir / "parquet").resolve()
    gens = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    kept = [current] + [g for g in gens if g.resolve() != current][: keep - 1]
    for g in gens:
        if g.resolve() not in kept:
            shutil.rmtree(g, ignore_errors=True)


def _remove_leftovers(serving_dir: Path) -> None:
    """Temp files of publishes that were killed (we hold the publish lock: none is running)."""
    for path in serving_dir.glob(f"{TMP_PREFIX}*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            _unlink_quietly(path)
    gens = serving_dir / PARQUET_GENERATIONS_DIR
    if gens.exists():
        for path in gens.glob(f"{TMP_PREFIX}*"):
            shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# small helpers


@contextlib.contextmanager
def _publish_lock(serving_dir: Path) -> Iterator[None]:
    with open(serving_dir / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released by the OS if the process dies
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _new_generation_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    _fsync_file(tmp)
    os.replace(tmp, path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
