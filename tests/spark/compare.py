"""Table-by-table comparison of the DuckDB warehouse's marts with the Spark target's tables.

Spark's tables are read from their Parquet files in the Spark warehouse directory
(`<warehouse>/<schema>.db/<table>/`, partition columns from `name=value` folders) by DuckDB, in the
same connection that attaches the DuckDB warehouse, so both sides are normalised and hashed by one
engine. Per table: row count and an order-independent checksum (sum of row hashes) of every column
after normalisation; on a mismatch, the columns whose values differ and the grain keys (the model's unique test in the manifest) of the
first rows found only on one side.

Normalisation, by the DuckDB column's type (the reference; Spark may type an expression differently,
e.g. INT for BIGINT or DECIMAL(38,6) where DuckDB has DOUBLE, and that is not a difference):
- integers as HUGEINT; strings, booleans, dates and timestamps exact;
- DECIMAL with scale <= 2 (money) rounded to the cent, wider DECIMALs to 6 places: Spark keeps at
  least 6 fractional digits when a decimal division would overflow its 38 digits
  (spark.sql.decimalOperations.allowPrecisionLoss), so digits past the 6th are not portable;
- DOUBLE/FLOAT rounded to 9 significant digits: they are ratios of exact DECIMAL parts or sums of
  doubles, and the engines add in a different order (Spark per partition, DuckDB per thread), which
  moves the last 2-4 of a double's ~16 digits; 9 digits are far below anything a report shows
  (ratios to 0.1%) and far above that noise, so a wrong formula still differs.
Key values are printed only for grain columns, and hashed when the column holds buyer data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from jd_pipeline.warehouse import fetch_row, fetch_value

KEYS_SHOWN = 3
SPARK_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
BUYER_COLUMN = re.compile(r"buyer|account|phone|address|receiver|pin", re.IGNORECASE)
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}
INTEGER_TYPES |= {"UBIGINT", "UHUGEINT"}


@dataclass(frozen=True)
class Mart:
    schema: str
    name: str
    grain: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class TableResult:
    mart: Mart
    duckdb_rows: int | None = None
    spark_rows: int | None = None
    equal: bool = False
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        counts = f"DuckDB {self.duckdb_rows} rows, Spark {self.spark_rows} rows"
        return f"{self.mart.label}: {counts}: " + "; ".join(self.problems or ["equal"])


def spark_table_files(warehouse: Path, mart: Mart) -> list[Path] | None:
    """The data files of a Spark table (None when it has no folder): Spark's temporary and marker
    files (`_temporary/`, `.spark-staging-*`, `_SUCCESS`, `.crc`) are never data."""
    folder = warehouse / f"{mart.schema}.db" / mart.name
    if not folder.is_dir():
        return None
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts)
    )


def _normalised(column: str, kind: str, source: str) -> str:
    """A column's comparable value, by the DuckDB (reference) type `kind`."""
    value = f'{source}."{column}"'
    base = kind.split("(")[0]
    if base in INTEGER_TYPES:
        expr = f"cast({value} as hugeint)"
    elif base == "DECIMAL":
        scale = int(kind.rstrip(")").split(",")[1]) if "," in kind else 0
        places = 2 if scale <= 2 else 6
        expr = f"cast(round(cast({value} as decimal(38,12)), {places}) as decimal(38,{places}))"
    elif base in ("DOUBLE", "FLOAT", "REAL"):
        x = f"cast({value} as double)"
        expr = (
            f"case when {x} = 0 then 0.0::double when isfinite({x}) "
            f"then round({x}, 8 - cast(floor(log10(abs({x}))) as integer)) else {x} end"
        )
    elif base in ("DATE", "BOOLEAN", "TIMESTAMP", "VARCHAR"):
        expr = f"cast({value} as {base})"
    else:  # JSON, lists, structs: their text
        expr = f"cast({value} as varchar)"
    return f'{expr} as "{column}"'


def _columns(conn: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute(f"describe select * from {relation}").fetchall()]


def _spark_relation(conn: duckdb.DuckDBPyConnection, files: list[Path], view: str) -> None:
    """A view of the Spark table: partition columns from the folder names, as text (Spark encodes
    them; NULL is Spark's default-partition name), cast to the reference type by _normalised."""
    listed = "[" + ", ".join(f"'{p}'" for p in files) + "]"
    hive = any("=" in part for p in files for part in p.parent.parts)
    options = "union_by_name = true" + (
        ", hive_partitioning = true, hive_types_autocast = false" if hive else ", hive_partitioning = false"
    )
    scan = f"read_parquet({listed}, {options})"
    if not hive:
        conn.execute(f"create or replace temp view {view} as select * from {scan}")
        return
    in_files = {name for name, _ in _columns(conn, f"read_parquet({listed}, hive_partitioning = false)")}
    parts = [
        f'nullif(url_decode("{name}"), \'{SPARK_NULL_PARTITION}\') as "{name}"'
        if name not in in_files
        else f'"{name}"'
        for name, _ in _columns(conn, scan)
    ]
    conn.execute(f"create or replace temp view {view} as select {', '.join(parts)} from {scan}")


def _key_text(grain: tuple[str, ...], row: tuple) -> str:
    shown = []
    for name, value in zip(grain, row, strict=True):
        if BUYER_COLUMN.search(name) and value is not None:
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:12]
        shown.append(f"{name}={value}")
    return "(" + ", ".join(shown) + ")"


def compare_table(conn: duckdb.DuckDBPyConnection, warehouse: Path, mart: Mart) -> TableResult:
    """One mart: `conn` has the DuckDB warehouse attached as `duck`."""
    result = TableResult(mart)
    reference = f'duck."{mart.schema}"."{mart.name}"'
    exists = fetch_value(
        conn,
        "select count(*) from information_schema.tables "
        "where table_catalog = 'duck' and table_schema = ? and table_name = ?",
        [mart.schema, mart.name],
    )
    if not exists:
        result.problems.append("missing in the DuckDB warehouse")
        return result
    left_columns = _columns(conn, reference)
    result.duckdb_rows = int(fetch_value(conn, f"select count(*) from {reference}"))
    files = spark_table_files(warehouse, mart)
    if files is None:
        result.problems.append(f"missing in the Spark warehouse ({warehouse / (mart.schema + '.db')})")
        return result
    if not files:  # Spark writes no file for a table without rows
        result.spark_rows = 0
        result.equal = result.duckdb_rows == 0
        if not result.equal:
            result.problems.append("the Spark table has no data files")
        return result
    _spark_relation(conn, files, "spark_side")
    right_names = {name.lower(): name for name, _ in _columns(conn, "spark_side")}
    result.spark_rows = int(fetch_value(conn, "select count(*) from spark_side"))
    missing = [name for name, _ in left_columns if name.lower() not in right_names]
    extra = sorted(set(right_names) - {name.lower() for name, _ in left_columns})
    if missing or extra:
        result.problems.append(f"columns only in DuckDB: {missing}; only in Spark: {extra}")
        return result
    left_sql = "select " + ", ".join(_normalised(n, k, "l") for n, k in left_columns) + f" from {reference} l"
    renamed = ", ".join(f'"{right_names[n.lower()]}" as "{n}"' for n, _ in left_columns)
    right_sql = (
        "select "
        + ", ".join(_normalised(n, k, "r") for n, k in left_columns)
        + f" from (select {renamed} from spark_side) r"
    )
    checksum = "select count(*), coalesce(sum(hash(t)::hugeint), 0) from ({}) t"
    left_figure = fetch_row(conn, checksum.format(left_sql))
    right_figure = fetch_row(conn, checksum.format(right_sql))
    if left_figure == right_figure:
        result.equal = True
        return result
    sums = ", ".join(f'coalesce(sum(hash("{n}")::hugeint), 0)' for n, _ in left_columns)
    per_column = zip(
        fetch_row(conn, f"select {sums} from ({left_sql})"),
        fetch_row(conn, f"select {sums} from ({right_sql})"),
        strict=True,
    )
    differing = [name for (name, _), (a, b) in zip(left_columns, per_column, strict=True) if a != b]
    if differing:
        result.problems.append(f"columns that differ: {differing}")
    grain = mart.grain or tuple(name for name, _ in left_columns[:3])
    keys = ", ".join(f'"{k}"' for k in grain)
    for side, first, second in (("DuckDB", left_sql, right_sql), ("Spark", right_sql, left_sql)):
        rows = conn.execute(
            f"select {keys} from (({first}) except all ({second})) order by all limit {KEYS_SHOWN}"
        ).fetchall()
        if rows:
            result.problems.append(
                f"first rows only in {side} by ({', '.join(grain)}): "
                + ", ".join(_key_text(grain, row) for row in rows)
            )
    if not result.problems:  # equal multisets and a checksum collision: not expected, still reported
        result.problems.append("checksums differ")
    return result


def compare_marts(duckdb_path: Path, spark_warehouse: Path, marts: list[Mart]) -> list[TableResult]:
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")  # Spark's session time zone: timestamps as written
        conn.execute(f"attach '{duckdb_path}' as duck (read_only)")
        return [compare_table(conn, spark_warehouse, mart) for mart in marts]


def render(results: list[TableResult]) -> str:
    differing = [r for r in results if not r.equal]
    head = (
        f"{len(results)} marts compared, {len(differing)} differ"
        if differing
        else f"{len(results)} marts equal ({sum(r.duckdb_rows or 0 for r in results):,} rows)"
    )
    return "\n".join([head, *(f"  {r.describe()}" for r in differing)])
