"""Publish the served DuckDB file (schemas `marts`, `ops`) to a PostgreSQL serving database.

Runs after `publish_serving` and copies exactly what it served (same generation id), when
`JD_PG_DSN` is set (jd_pipeline/serving/pg_settings.py). Layout in PostgreSQL (docs/bi_access.md):

- `jd_store.<schema>__<table>__<fingerprint>`: the data, one table per distinct content. A table
  whose content did not change since the last publish is not copied again (its fingerprint is
  the hash of its columns, grain, row count and every row).
- `marts.<table>`, `ops.<table>`: views over those tables: the names BI tools use, with the
  table and column comments of the dbt docs and SELECT granted to the read-only BI role.
- `jd_publish.generations`, `jd_publish.stored_tables`: what each publish did.

Whole generations only: the views of a new generation are built in schemas `jd_next__marts` /
`jd_next__ops`; one transaction renames the served schemas away and the new ones to `marts` /
`ops`. A statement resolves the names of its tables when it starts, so it reads one generation;
a statement already running keeps the old tables (they are dropped later, waiting for it). A
publish that fails leaves the served schemas unchanged. Publishers are serialized by an advisory
lock.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow.csv as pacsv
from psycopg import sql

from jd_pipeline.runtime.dbt_docs import TableDoc, load_table_docs
from jd_pipeline.serving.duckdb_publish import PUBLISHED_SCHEMAS, PublishError
from jd_pipeline.serving.pg_settings import PgSettings, pg_settings

FORMAT_VERSION = 2  # bump when the storage layout or the fingerprint changes: every table is copied again
STORE_SCHEMA = "jd_store"
META_SCHEMA = "jd_publish"
NEXT_PREFIX = "jd_next__"
OLD_PREFIX = "jd_old__"
SCHEMA_MARK = "jd-ops-warehouse serving schema"  # COMMENT ON SCHEMA of the schemas we own
ADVISORY_LOCK_KEY = 7_170_417  # any constant: serializes publishers of one database
BATCH_ROWS = 250_000
KEY_BUILD_MEMORY = "256MB"  # maintenance_work_mem of a copying session
DROP_LOCK_TIMEOUT = "2s"  # dropping an old generation waits this long for its last readers


@dataclass(frozen=True)
class Column:
    name: str
    duck_type: str
    pg_type: str
    select_expr: str  # how DuckDB renders it for PostgreSQL's CSV COPY
    not_null: bool


@dataclass(frozen=True)
class PgTable:
    schema: str
    name: str
    storage: str
    row_count: int
    copied: bool
    seconds: float
    grain: tuple[str, ...] = ()
    key: str = ""  # "primary key", "index" (grain not unique) or "" (no grain known)


@dataclass(frozen=True)
class PgPublishResult:
    generation: str
    published_at: str
    target: str
    duration_seconds: float
    tables: list[PgTable] = field(default_factory=list)
    copy_seconds: float = 0.0  # wall time of the copies (they run side by side)

    @property
    def copied_rows(self) -> int:
        return sum(t.row_count for t in self.tables if t.copied)

    @property
    def rows_per_second(self) -> float:
        return self.copied_rows / self.copy_seconds if self.copy_seconds else 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(copied_rows=self.copied_rows, rows_per_second=round(self.rows_per_second))
        return data


# --------------------------------------------------------------------------------------------
# public API


def publish_postgres(
    served_db: Path | str,
    settings: PgSettings | None = None,
    *,
    schemas: Sequence[str] = PUBLISHED_SCHEMAS,
    manifest_path: Path | None = None,
) -> PgPublishResult | None:
    """Publish `schemas` of the served DuckDB file to PostgreSQL; None when it is not configured."""
    settings = settings or pg_settings()
    if settings is None:
        return None
    started = time.perf_counter()
    docs = load_table_docs(manifest_path)
    duck = duckdb.connect(str(served_db), read_only=True)
    try:
        generation = _served_generation(duck)
        recorded = _recorded_contents(duck)
        sources = _source_tables(duck, schemas)
        if not sources:
            raise PublishError(f"{served_db} has no tables in schemas {', '.join(schemas)}")
        with _connect(settings) as pg:
            _advisory_lock(pg)
            _ensure_catalog(pg)
            _ensure_bi_role(pg, settings)
            copy_began = time.perf_counter()
            published = _store_tables(duck, pg, settings, sources, docs, recorded)
            copy_seconds = round(time.perf_counter() - copy_began, 3)
            _swap_generation(pg, generation, published, sources, docs, settings.bi_role, list(schemas))
            published_at = datetime.now(UTC).isoformat(timespec="seconds")
            result = PgPublishResult(
                generation,
                published_at,
                settings.describe(),
                round(time.perf_counter() - started, 3),
                published,
                copy_seconds if any(t.copied for t in published) else 0.0,
            )
            _record_generation(pg, result)
            _drop_old_generations(pg)
            return result
    except psycopg.Error as exc:
        raise PublishError(f"publishing to PostgreSQL ({settings.describe()}) failed: {exc}") from exc
    finally:
        duck.close()


# --------------------------------------------------------------------------------------------
# reading the served DuckDB file


def _served_generation(duck: duckdb.DuckDBPyConnection) -> str:
    try:
        rows = duck.execute("SELECT generation FROM ops.publish_info").fetchall()
        row = rows[0] if rows else None
    except duckdb.CatalogException:
        row = None
    if not row:
        raise PublishError(
            "the served DuckDB file has no ops.publish_info: publish it with publish_serving first"
        )
    return str(row[0])


def _source_tables(
    duck: duckdb.DuckDBPyConnection, schemas: Sequence[str]
) -> dict[tuple[str, str], list[Column]]:
    rows = duck.execute(
        f"""SELECT table_schema, table_name, column_name, data_type, is_nullable
            FROM information_schema.columns
            WHERE table_schema IN ({", ".join("?" for _ in schemas)})
            ORDER BY table_schema, table_name, ordinal_position""",
        list(schemas),
    ).fetchall()
    tables: dict[tuple[str, str], list[Column]] = {}
    for schema, table, column, data_type, nullable in rows:
        pg_type, expr = pg_type_for(str(data_type), _qi(column))
        tables.setdefault((schema, table), []).append(
            Column(column, str(data_type), pg_type, expr, nullable == "NO")
        )
    return tables


def pg_type_for(duck_type: str, quoted: str) -> tuple[str, str]:
    """PostgreSQL type of a DuckDB type, and the DuckDB expression whose CSV text PostgreSQL reads."""
    t = duck_type.upper()
    simple = {
        "BOOLEAN": "boolean",
        "TINYINT": "smallint",
        "SMALLINT": "smallint",
        "INTEGER": "integer",
        "BIGINT": "bigint",
        "UTINYINT": "smallint",
        "USMALLINT": "integer",
        "UINTEGER": "bigint",
        "HUGEINT": "numeric(39,0)",
        "UBIGINT": "numeric(20,0)",
        "UHUGEINT": "numeric(39,0)",
        "FLOAT": "real",
        "DOUBLE": "double precision",
        "DATE": "date",
        "VARCHAR": "text",
    }
    if t in simple:
        return simple[t], quoted
    if t.startswith("DECIMAL"):
        return t.replace("DECIMAL", "numeric"), quoted
    as_text = {
        "TIMESTAMP": "timestamp",
        "TIMESTAMP_NS": "timestamp",
        "TIMESTAMP_MS": "timestamp",
        "TIMESTAMP_S": "timestamp",
        "TIMESTAMP WITH TIME ZONE": "timestamptz",
        "TIME": "time",
        "INTERVAL": "interval",
        "UUID": "uuid",
    }
    if t in as_text:  # DuckDB's text form of these is PostgreSQL's
        return as_text[t], f"CAST({quoted} AS VARCHAR)"
    if t == "BLOB":
        return "bytea", f"'\\x' || hex({quoted})"
    if t == "JSON" or t.endswith("[]") or t.startswith(("STRUCT", "MAP", "UNION")) or "[" in t:
        return "jsonb", f"CAST(to_json({quoted}) AS VARCHAR)"
    return "text", f"CAST({quoted} AS VARCHAR)"  # ENUM and anything newer: its text


def _recorded_contents(duck: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int]]:
    """`schema.table -> (content fingerprint, rows)` as the DuckDB publish recorded them in
    `ops.publish_info`; {} for a served file published before fingerprints were recorded."""
    try:
        row = duck.execute("SELECT fingerprints, tables FROM ops.publish_info").fetchone()
    except duckdb.Error:
        return {}
    if not row or not row[0] or not row[1]:
        return {}
    fingerprints, counts = json.loads(row[0]), json.loads(row[1])
    return {t: (str(f), int(counts[t])) for t, f in fingerprints.items() if f and t in counts}


def _fingerprint(
    duck: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    columns: list[Column],
    grain: tuple[str, ...],
    recorded: tuple[str, int] | None = None,
) -> tuple[str, int]:
    """Content hash (order-independent) and row count of a served table: the DuckDB publish's
    recorded fingerprint when there is one (no scan of the table), else hashed here."""
    if recorded is not None:
        content, count = recorded
    else:
        count, rows_hash = duck.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {_qi(schema)}.{_qi(name)} AS t"
        ).fetchall()[0]
        content = f"hash:{rows_hash}"
    described = {
        "format": FORMAT_VERSION,
        "table": [schema, name],
        "columns": [[c.name, c.duck_type, c.not_null] for c in columns],
        "grain": list(grain),
        "rows": int(count),
        "content": content,
    }
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
    return digest, int(count)


# --------------------------------------------------------------------------------------------
# PostgreSQL side


def _connect(settings: PgSettings) -> psycopg.Connection:
    try:
        return psycopg.connect(
            settings.dsn, autocommit=True, application_name="jd-pipeline publish", password=settings.password
        )
    except psycopg.OperationalError as exc:
        raise PublishError(
            f"cannot connect to the PostgreSQL serving database {settings.describe()}: {exc}"
        ) from exc


def _advisory_lock(pg: psycopg.Connection) -> None:
    pg.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])  # session lock: freed on disconnect
    pg.commit()


def _ensure_catalog(pg: psycopg.Connection) -> None:
    with pg.transaction():
        for schema in (STORE_SCHEMA, META_SCHEMA):
            pg.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        pg.execute(f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.stored_tables (
            storage_name text PRIMARY KEY, schema_name text NOT NULL, table_name text NOT NULL,
            fingerprint text NOT NULL, row_count bigint NOT NULL, copy_seconds double precision,
            loaded_at timestamptz NOT NULL DEFAULT now())""")
        pg.execute(f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.generations (
            generation text NOT NULL, published_at timestamptz NOT NULL, tables jsonb NOT NULL,
            copied_tables integer NOT NULL, copied_rows bigint NOT NULL, rows_per_second bigint,
            duration_seconds double precision NOT NULL)""")


def _ensure_bi_role(pg: psycopg.Connection, settings: PgSettings) -> None:
    role = sql.Identifier(settings.bi_role)
    with pg.transaction():
        exists = pg.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.bi_role]).fetchone()
        if not exists:
            pg.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
        if settings.bi_password:
            pg.execute(
                sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(settings.bi_password))
            )
        # Belt and braces: a session of this role cannot write even where a grant slipped through.
        pg.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
        database = _pg_value(pg, "SELECT current_database()")
        pg.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role))


def storage_name(schema: str, name: str, fingerprint: str) -> str:
    return f"{schema}__{name}"[:44] + "__" + fingerprint[:16]


@dataclass(frozen=True)
class _Planned:
    """A served table, its content fingerprint and whether PostgreSQL already holds that content."""

    schema: str
    name: str
    columns: list[Column]
    grain: tuple[str, ...]
    fingerprint: str
    row_count: int
    storage: str
    stored: bool


def publish_jobs() -> int:
    """Tables copied at once (`JD_PG_PUBLISH_JOBS`, default 2): each copy keeps one PostgreSQL
    backend busy parsing COPY rows and one client thread rendering them, so two copies use both
    cores of a small machine; a bigger server can take more."""
    raw = os.environ.get("JD_PG_PUBLISH_JOBS", "").strip()
    if not raw:
        return 2
    try:
        jobs = int(raw)
    except ValueError:
        raise PublishError(f"JD_PG_PUBLISH_JOBS must be a whole number, got {raw!r}") from None
    if jobs < 1:
        raise PublishError(f"JD_PG_PUBLISH_JOBS must be at least 1, got {jobs}")
    return jobs


def _store_tables(
    duck: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection,
    settings: PgSettings,
    sources: dict[tuple[str, str], list[Column]],
    docs: dict[tuple[str, str], TableDoc],
    recorded: dict[str, tuple[str, int]],
) -> list[PgTable]:
    """Every served table as a stored table: unchanged content is reused, changed tables are
    copied `publish_jobs()` at a time (largest first, so the last copy to finish is a short one).
    Each copy commits on its own connection; nothing is visible to readers before the swap."""
    planned = [
        _plan_table(
            duck,
            pg,
            schema,
            name,
            columns,
            docs.get((schema, name), TableDoc()),
            recorded.get(f"{schema}.{name}"),
        )
        for (schema, name), columns in sources.items()
    ]
    results: dict[tuple[str, str], PgTable] = {
        (p.schema, p.name): PgTable(
            p.schema, p.name, p.storage, p.row_count, False, 0.0, p.grain, _existing_key(pg, p.storage)
        )
        for p in planned
        if p.stored
    }
    to_copy = sorted((p for p in planned if not p.stored), key=lambda p: p.row_count, reverse=True)
    if to_copy:
        jobs = min(publish_jobs(), len(to_copy))
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pg-publish") as pool:
            futures = {pool.submit(_copy_table, duck, settings, p): p for p in to_copy}
            errors: list[BaseException] = []
            for future in as_completed(futures):
                try:
                    table = future.result()
                except BaseException as exc:  # noqa: BLE001 - every copy finishes or fails before we raise
                    errors.append(exc)
                    continue
                results[(table.schema, table.name)] = table
            if errors:
                raise errors[0]
    return [results[key] for key in sources]


def _plan_table(
    duck: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection,
    schema: str,
    name: str,
    columns: list[Column],
    doc: TableDoc,
    recorded: tuple[str, int] | None,
) -> _Planned:
    grain = tuple(c for c in doc.grain if any(col.name == c for col in columns))
    fingerprint, count = _fingerprint(duck, schema, name, columns, grain, recorded)
    storage = storage_name(schema, name, fingerprint)
    existing = pg.execute(
        f"SELECT 1 FROM {META_SCHEMA}.stored_tables s JOIN pg_tables t "
        "ON t.schemaname = %s AND t.tablename = s.storage_name WHERE s.storage_name = %s",
        [STORE_SCHEMA, storage],
    ).fetchone()
    pg.commit()
    return _Planned(schema, name, columns, grain, fingerprint, count, storage, existing is not None)


def _copy_table(duck: duckdb.DuckDBPyConnection, settings: PgSettings, plan: _Planned) -> PgTable:
    """Create, fill, key and analyze one stored table in one transaction of a connection of its
    own (DuckDB: a cursor of its own, so threads do not share a connection)."""
    began = time.perf_counter()
    cursor = duck.cursor()
    try:
        with _connect(settings) as pg:
            # Sorting the grain for its key in memory instead of in temp files; local to this session.
            pg.execute(f"SET maintenance_work_mem = '{KEY_BUILD_MEMORY}'")
            # The commit does not wait for the table's WAL to reach disk: a crash right after it can
            # only lose the table together with its registration (same transaction), and the next
            # publish copies it again. The generation switch itself keeps synchronous commit.
            pg.execute("SET synchronous_commit = off")
            with pg.transaction():
                target = sql.Identifier(STORE_SCHEMA, plan.storage)
                pg.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))  # a half-registered leftover
                pg.execute(_create_table_sql(target, plan.columns))
                _copy_rows(cursor, pg, plan.schema, plan.name, target, plan.columns, plan.grain)
                key = _add_grain_key(pg, plan.storage, plan.grain)
                pg.execute(sql.SQL("ANALYZE {}").format(target))
                seconds = time.perf_counter() - began
                pg.execute(
                    f"INSERT INTO {META_SCHEMA}.stored_tables "
                    "(storage_name, schema_name, table_name, fingerprint, row_count, copy_seconds) "
                    "VALUES (%s,%s,%s,%s,%s,%s)",
                    [plan.storage, plan.schema, plan.name, plan.fingerprint, plan.row_count, seconds],
                )
    finally:
        cursor.close()
    return PgTable(
        plan.schema, plan.name, plan.storage, plan.row_count, True, round(seconds, 3), plan.grain, key
    )


def _create_table_sql(target: sql.Composable, columns: list[Column]) -> sql.Composed:
    defs = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(c.name), sql.SQL(c.pg_type), sql.SQL(" NOT NULL" if c.not_null else "")
        )
        for c in columns
    ]
    return sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(defs))


def _copy_rows(
    duck: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection,
    schema: str,
    name: str,
    target: sql.Composable,
    columns: list[Column],
    grain: tuple[str, ...] = (),
) -> None:
    """Stream the table as CSV (DuckDB → Arrow batches → CSV text) into `COPY … FROM STDIN`.

    CSV because PostgreSQL parses it in C and pyarrow writes it in C: no per-row Python. pyarrow
    quotes every string ('' becomes "") and no number or date, so NULL (unquoted empty) stays apart
    from '' and PostgreSQL's parser handles quotes only where text can need them. FREEZE: the
    table was created in this transaction, so its rows are written already frozen (no later
    VACUUM rewriting every page to set hint bits).

    Rows go in the order of the grain: DuckDB sorts on all cores, and PostgreSQL's sort for the
    key then finds its input already in order (one pass instead of a sort) wherever its collation
    orders text by code point as DuckDB does (C, C.UTF-8); elsewhere it sorts as it would anyway.
    Readers also get each day's rows together on disk.
    """
    exprs = ", ".join(f"{c.select_expr} AS {_qi(c.name)}" for c in columns)
    order = f" ORDER BY {', '.join(_qi(c) for c in grain)}" if grain else ""
    reader = duck.sql(f"SELECT {exprs} FROM {_qi(schema)}.{_qi(name)}{order}").to_arrow_reader(BATCH_ROWS)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    copy_sql = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, FREEZE true)").format(target)
    with pg.cursor().copy(copy_sql) as copy:
        for batch in reader:
            if batch.num_rows == 0:
                continue
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())


def _add_grain_key(pg: psycopg.Connection, storage: str, grain: tuple[str, ...]) -> str:
    """Primary key on the grain; a plain index when the rows are not unique on it (dbt's
    uniqueness test then reports it: BI still gets its data and a fast lookup)."""
    if not grain:
        return ""
    target = sql.Identifier(STORE_SCHEMA, storage)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in grain)
    try:
        with pg.transaction():  # a savepoint: a duplicate must not lose the copied rows
            pg.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(target, cols))
        return "primary key"
    except (psycopg.errors.UniqueViolation, psycopg.errors.NotNullViolation):
        pg.execute(sql.SQL("CREATE INDEX ON {} ({})").format(target, cols))
        return "index"


def _existing_key(pg: psycopg.Connection, storage: str) -> str:
    row = pg.execute(
        """SELECT bool_or(i.indisprimary), count(*) FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relname = %s""",
        [STORE_SCHEMA, storage],
    ).fetchone()
    pg.commit()
    if not row or not row[1]:
        return ""
    return "primary key" if row[0] else "index"


def _swap_generation(
    pg: psycopg.Connection,
    generation: str,
    tables: list[PgTable],
    sources: dict[tuple[str, str], list[Column]],
    docs: dict[tuple[str, str], TableDoc],
    bi_role: str,
    schemas: list[str],
) -> None:
    role = sql.Identifier(bi_role)
    with pg.transaction():
        for schema in schemas:
            _refuse_foreign_schema(pg, schema)
            pg.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(NEXT_PREFIX + schema))
            )
            pg.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(NEXT_PREFIX + schema)))
            pg.execute(
                sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                    sql.Identifier(NEXT_PREFIX + schema),
                    sql.Literal(f"{SCHEMA_MARK}, generation {generation}"),
                )
            )
            pg.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(NEXT_PREFIX + schema), role)
            )
        for table in tables:
            _create_view(
                pg, table, sources[(table.schema, table.name)], docs.get((table.schema, table.name)), role
            )
        # The switch: both schemas in one transaction; the next statement of any reader sees it.
        for schema in schemas:
            current = pg.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
            if current:
                pg.execute(
                    sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(schema), sql.Identifier(f"{OLD_PREFIX}{schema}__{time.time_ns()}")
                    )
                )
            pg.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(NEXT_PREFIX + schema), sql.Identifier(schema)
                )
            )


def _refuse_foreign_schema(pg: psycopg.Connection, schema: str) -> None:
    """Never rename (and later drop) a schema somebody else created in this database."""
    row = pg.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s", [schema]
    ).fetchone()
    if row and not (row[0] or "").startswith(SCHEMA_MARK):
        raise PublishError(
            f"schema {schema!r} already exists in the PostgreSQL serving database and was not created by the "
            "publisher: rename or drop it, or publish to another database"
        )


def _create_view(
    pg: psycopg.Connection, table: PgTable, columns: list[Column], doc: TableDoc | None, role: sql.Identifier
) -> None:
    view = sql.Identifier(NEXT_PREFIX + table.schema, table.name)
    cols = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    pg.execute(
        sql.SQL("CREATE VIEW {} AS SELECT {} FROM {}").format(
            view, cols, sql.Identifier(STORE_SCHEMA, table.storage)
        )
    )
    pg.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(view, role))
    if doc is None:
        return
    if doc.description:
        pg.execute(sql.SQL("COMMENT ON VIEW {} IS {}").format(view, sql.Literal(doc.description)))
    for column in columns:
        if comment := doc.columns.get(column.name):
            pg.execute(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    view, sql.Identifier(column.name), sql.Literal(comment)
                )
            )


def _record_generation(pg: psycopg.Connection, result: PgPublishResult) -> None:
    with pg.transaction():
        pg.execute(
            f"INSERT INTO {META_SCHEMA}.generations VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                result.generation,
                result.published_at,
                json.dumps({f"{t.schema}.{t.name}": t.storage for t in result.tables}),
                sum(1 for t in result.tables if t.copied),
                result.copied_rows,
                round(result.rows_per_second),
                result.duration_seconds,
            ],
        )


def _drop_old_generations(pg: psycopg.Connection) -> None:
    """Drop replaced views, then the stored tables no view uses. Each drop waits at most
    DROP_LOCK_TIMEOUT for readers still on the old generation; what is left is dropped next time."""
    old = [
        r[0]
        for r in pg.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY 1",
            [OLD_PREFIX.replace("_", r"\_") + "%"],
        ).fetchall()
    ]
    pg.commit()
    for schema in old:
        _drop_quietly(pg, sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    unused = [
        r[0]
        for r in pg.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind = 'r' AND NOT EXISTS (
               SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
               WHERE d.refobjid = c.oid AND d.classid = 'pg_rewrite'::regclass)""",
            [STORE_SCHEMA],
        ).fetchall()
    ]
    pg.commit()
    for storage in unused:
        if _drop_quietly(pg, sql.SQL("DROP TABLE {}").format(sql.Identifier(STORE_SCHEMA, storage))):
            with pg.transaction():
                pg.execute(f"DELETE FROM {META_SCHEMA}.stored_tables WHERE storage_name = %s", [storage])


def _drop_quietly(pg: psycopg.Connection, statement: sql.Composed) -> bool:
    try:
        with pg.transaction():
            pg.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(DROP_LOCK_TIMEOUT)))
            pg.execute(statement)
        return True
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DependentObjectsStillExist):
        return False


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_value(pg: psycopg.Connection, query: str) -> Any:
    """The first column of the first row; an error naming the query when there is none."""
    row = pg.execute(query).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {query}")
    return row[0]
