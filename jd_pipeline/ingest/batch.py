"""The batch SQL: many staged files of one source, typed and validated by ONE query.

Each staged file (csv_reader.py, excel_reader.py) adds its rows to `_stage_all` with its batch index `_file`,
folder `_period` (+ bounds) and row numbers; `_typed` is then built by a single query, so
the (costly) planning of the parsing SQL happens once per batch, not once per file. The
writes (`insert_*_batch`) join `_files`; a file committed alone is a batch of one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import TypeVar

import duckdb

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.landing import LandingFile
from jd_pipeline.ingest.sql import lit, parse_expr, period_label_expr, problem_exprs, q, reason_expr
from jd_pipeline.ingest.stage_buffer import Staged
from jd_pipeline.warehouse import fetch_value

K = TypeVar("K", bound=Hashable)

# Columns a total row is checked on: counts and money (decimals such as 预计可售天数 are not additive).
ADDITIVE_TYPES = ("int", "money")
OK = "_reason IS NULL AND _total_level IS NULL"


def _c(name: str) -> str:
    """Cleaned text of a column (text and total-level columns) in the typed query's layers."""
    return q(name + "__c")


# A quarantined value longer than this is cut (an oversized field must not be copied whole).
RAW_VALUE_MAX = 2000


def _raw_value(ref: str) -> str:
    return (
        f"CASE WHEN strlen({ref}) > {RAW_VALUE_MAX} THEN left({ref}, {RAW_VALUE_MAX}) || '…' ELSE {ref} END"
    )


def _pct(name: str) -> str:
    return q(name + "__pct")


def _label_value(contract: Contract, name: str) -> str:
    return f"jd_id({_c(name)})" if contract.column(name).id else _c(name)


def _total_sql(contract: Contract, present: set[str]) -> tuple[str, str]:
    """(`_total_level`, `_total_label`) from the cleaned text of the level columns."""
    markers = ", ".join(lit(m) for m in contract.total_markers)
    levels = [
        (k, n, contract.column(n).header) for k, n in enumerate(contract.total_levels, 1) if n in present
    ]
    if not levels:
        return "CAST(NULL AS INTEGER)", "CAST(NULL AS VARCHAR)"
    level_cases, label_cases = [], []
    for k, name, header in levels:
        cond = f"{_c(name)} IN ({markers})"
        # IDs in the label as the detail rows store them (`100012345678.0` -> `100012345678`).
        context = [f"{lit(h + '=')} || {_label_value(contract, n)}" for j, n, h in levels if j < k]
        ctx = (
            f" || coalesce(' (' || nullif(concat_ws(', ', {', '.join(context)}), '') || ')', '')"
            if context
            else ""
        )
        level_cases.append(f"WHEN {cond} THEN {k}")
        label_cases.append(f"WHEN {cond} THEN {lit(header + '=')} || {_c(name)}{ctx}")
    return f"CASE {' '.join(level_cases)} END", f"CASE {' '.join(label_cases)} END"


def typed_sql(contract: Contract, present: set[str], bases: list[int], only_file: int | None = None) -> str:
    """`_typed` from `_stage_all`: typed columns, total-row flags and each row's problems.

    Layers: raw text (`x__v`) and, for text and total-level columns, trimmed then cleaned text
    (`x__c`) -> typed values (`x__t`: DuckDB casts first, the string clean-up only where a cast
    fails) -> output columns, `_total_level`, `_total_label`, `_reason`. `present`: the columns
    found in at least one file of the batch (the others are NULL); `bases[i]`: rowid of file i's
    first row (CSV row numbers are rowid - base + 1 unless set). Messages use the contract's
    header names.
    """
    cols = [c for c in contract.stored_columns if c.name in present]
    needs_clean = {c.stored_name for c in cols if c.type == "text" and not c.pii} | (
        set(contract.total_levels) & present
    )
    base = [f"s.{q(c.stored_name)} AS {q(c.stored_name + '__v')}" for c in cols]
    base += [f"jd_trim(s.{q(n)}) AS {_c(n)}" for n in sorted(needs_clean)]
    base += [f"s.{_pct(c.stored_name)}" for c in cols if c.type == "percent"]
    cleaned = [f"jd_null({_c(n)}) AS {_c(n)}" for n in sorted(needs_clean)]
    typed, outputs = [], []
    problems: list[tuple[str, str]] = []
    for col in contract.stored_columns:
        name = col.stored_name
        t = q(name + "__t")
        if name not in present:
            outputs.append(f"CAST(NULL AS {col.sql_type}) AS {q(name)}")
        else:
            v, x = q(name + "__v"), _c(name)
            typed.append(f"{v if col.pii else parse_expr(col, v, x, _pct(name))} AS {t}")
            outputs.append(f"{t} AS {q(name)}")
            if not col.pii:
                problems += problem_exprs(contract, col, v, x, t, col.header)
            if name == contract.period_column:
                outside = (
                    f"CAST({t} AS DATE) NOT BETWEEN _pstart AND _pend"
                    if col.type in ("date", "timestamp")
                    else f"{period_label_expr(contract, t)} <> _period"
                )
                message = f"{lit(col.header + ': ')} || CAST({t} AS VARCHAR) || ' outside the folder period ' || _period"
                problems.append((f"{t} IS NOT NULL AND {outside}", message))
        for d in (d for d in contract.derived if d.source_column == name):
            if name not in present:
                outputs.append(f"CAST(NULL AS {d.sql_type}) AS {q(d.name)}")
            else:
                typed.append(f"{d.fn}({_c(name)}) AS {q(d.name + '__t')}")
                outputs.append(f"{q(d.name + '__t')} AS {q(d.name)}")
    problems.append(
        ("_flag IS NOT NULL", "_flag")
    )  # found while reading: control bytes, formula without value
    level, label = _total_sql(contract, present)
    reason = reason_expr(problems)
    rn = f"coalesce(s._rn, CAST(s.rowid - [{', '.join(map(str, bases))}][s._file + 1] + 1 AS INTEGER)) AS _rn"
    meta = ["s._file", "s._period", "s._pstart", "s._pend", rn, "s.rowid AS _sidx", "s._flag"]
    where = " WHERE s._file >= 0" if only_file is None else f" WHERE s._file = {only_file}"  # not VOID_FILE
    layer1 = f"SELECT {', '.join([*meta, *base])} FROM _stage_all s{where}"
    layer1b = f"SELECT * REPLACE ({', '.join(cleaned)}) FROM ({layer1})" if cleaned else layer1
    layer2 = f"SELECT {', '.join(['*', *typed])} FROM ({layer1b})"
    return (
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _file, _rn AS _row_number, _sidx, {', '.join(outputs)}, "
        f"{level} AS _total_level, {label} AS _total_label, {reason} AS _reason FROM ({layer2})"
    )


def mark_duplicates(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Keep the first row of a grain key within each file; later ones are quarantined."""
    key = ", ".join(q(k) for k in contract.grain)
    dupes = fetch_value(
        conn,
        f"SELECT count(*) FROM (SELECT 1 FROM _typed WHERE {OK} GROUP BY _file, {key} HAVING count(*) > 1)",
    )
    if not dupes:
        return
    key_text = " || ', ' || ".join(
        f"{lit(k + '=')} || coalesce(CAST({q(k)} AS VARCHAR), '')" for k in contract.grain
    )
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _typed AS
            SELECT * EXCLUDE (_first) REPLACE (
                CASE WHEN {OK} AND _first <> _row_number
                     THEN 'duplicate key (' || {key_text} || ') of row ' || _first ELSE _reason END AS _reason)
            FROM (SELECT *, min(_row_number) OVER (PARTITION BY _file, ({OK}), {key}) AS _first FROM _typed)"""
    )


def counts(conn: duckdb.DuckDBPyConnection) -> dict[int, tuple[int, int, int]]:
    """Per batch file: (detail rows, rows passing, total rows)."""
    rows = conn.execute(
        f"""SELECT _file, count(*) FILTER (WHERE _total_level IS NULL), count(*) FILTER (WHERE {OK}),
                   count(*) FILTER (WHERE _total_level IS NOT NULL) FROM _typed GROUP BY _file"""
    ).fetchall()
    return {f: (d, lo, t) for f, d, lo, t in rows}


def drop_batch(conn: duckdb.DuckDBPyConnection) -> None:
    for t in ("_stage_all", "_typed", "_rowmap", "_rej_errors", "_rej_scans", "_files", "_totals"):
        conn.execute(f"DROP TABLE IF EXISTS {t}")


# ---------------------------------------------------------------- per-batch writes (one transaction)
#
# `_files` (one row per staged file of the batch: `_file`, `load_id`, `brand`, `store`, `period`,
# `relpath`) is joined instead of filtering `_typed` once per file: each write below is ONE
# statement for the whole batch. Statements that depend on the file's own header mapping
# (quarantine keys, the additive columns of totals) run once per distinct mapping (usually one).


def register_files(
    conn: duckdb.DuckDBPyConnection, contract: Contract, files: list[tuple[int, str, LandingFile]]
) -> None:
    """`_files`: (batch index, load id, file) of every staged file of the batch."""
    import pyarrow as pa

    table = pa.table(
        {
            "_file": pa.array([i for i, _, _ in files], pa.int32()),
            "load_id": pa.array([lid for _, lid, _ in files], pa.string()),
            "brand": pa.array([lf.brand for _, _, lf in files], pa.string()),
            "store": pa.array([lf.store for _, _, lf in files], pa.string()),
            "period": pa.array([lf.period for _, _, lf in files], pa.string()),
            "relpath": pa.array([lf.relpath for _, _, lf in files], pa.string()),
        }
    )
    conn.register("_files_arrow", table)
    try:
        conn.execute("CREATE OR REPLACE TEMP TABLE _files AS SELECT * FROM _files_arrow")
    finally:
        conn.unregister("_files_arrow")


def insert_rows_batch(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    cols = ", ".join(f"t.{q(n)}" for n, _ in contract.output_columns())
    conn.execute(
        f"INSERT INTO raw.{q(contract.source)} SELECT f.load_id, f.brand, f.store, f.period, t._row_number, {cols} "
        f"FROM _typed t JOIN _files f ON f._file = t._file WHERE t._reason IS NULL AND t._total_level IS NULL"
    )


def _groups(staged: dict[int, Staged], key: Callable[[Staged], K]) -> dict[K, list[int]]:
    out: dict[K, list[int]] = {}
    for index, s in staged.items():
        out.setdefault(key(s), []).append(index)
    return out


def _in(indexes: list[int]) -> str:
    return ", ".join(str(i) for i in sorted(indexes))


def insert_quarantine_batch(
    conn: duckdb.DuckDBPyConnection,
    contract: Contract,
    staged: dict[int, Staged],
    load_ids: dict[int, str],
    relpaths: dict[int, str],
) -> None:
    """Bad rows of every file of the batch with the file's raw text keyed by the file's headers
    (no personal columns exist in `_stage_all`: they were never selected, or hashed/reduced at
    read time): one statement per distinct header mapping, plus the malformed CSV lines in one
    insert."""

    def mapping(s: Staged) -> tuple[tuple[str, str], ...]:
        return tuple((name, m.header) for name, m in s.columns.items())

    for pairs_key, indexes in _groups(staged, mapping).items():
        pairs = ", ".join(f"{lit(header)}, {_raw_value(f's.{q(name)}')}" for name, header in pairs_key)
        conn.execute(
            f"""INSERT INTO ops.quarantine_rows
                SELECT f.load_id, {lit(contract.source)}, f.relpath, t._row_number, t._reason, json_object({pairs}), now()
                FROM _typed t JOIN _files f ON f._file = t._file JOIN _stage_all s ON s.rowid = t._sidx
                WHERE t._file IN ({_in(indexes)}) AND t._reason IS NOT NULL AND t._total_level IS NULL"""
        )
    broken = [
        [
            load_ids[i],
            contract.source,
            relpaths[i],
            rn,
            reason,
            json.dumps({"_raw_line": raw}, ensure_ascii=False),
        ]
        for i, s in staged.items()
        for rn, reason, raw in s.broken_rows
    ]
    if broken:
        import pyarrow as pa

        names = ("load_id", "source", "file_path", "row_number", "reason", "raw_values")
        conn.register("_broken_arrow", pa.table({n: [r[k] for r in broken] for k, n in enumerate(names)}))
        try:
            conn.execute(
                "INSERT INTO ops.quarantine_rows SELECT load_id, source, file_path, row_number, reason, "
                "CAST(raw_values AS JSON), now() FROM _broken_arrow"
            )
        finally:
            conn.unregister("_broken_arrow")


def totals_batch(
    conn: duckdb.DuckDBPyConnection, contract: Contract, staged: dict[int, Staged]
) -> dict[int, int]:
    """One row per counted/money column of each total row of every file of the batch, with the
    sum of the file's detail rows it covers (quarantined ones included, repeated duplicate-key
    rows not: the check is about the file adding up; quarantine is reported apart), into the
    temp table `_totals` (same columns as ops.file_totals, plus `_file`); returns how many
    values disagree per batch index. Copied into ops.file_totals by `insert_totals_batch`."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _totals AS SELECT CAST(NULL AS INTEGER) AS _file, * "
        "FROM ops.file_totals LIMIT 0"
    )
    has_totals = {
        r[0]
        for r in conn.execute("SELECT DISTINCT _file FROM _typed WHERE _total_level IS NOT NULL").fetchall()
    }

    def shape(s: Staged) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
        numeric = tuple(
            n for n, m in s.columns.items() if m.column.type in ADDITIVE_TYPES and not m.column.pii
        )
        levels = tuple((k, n) for k, n in enumerate(contract.total_levels, 1) if n in s.columns)
        return numeric, levels

    for (numeric, levels), indexes in _groups(
        {i: s for i, s in staged.items() if i in has_totals}, shape
    ).items():
        if not numeric:
            continue
        scope = " AND ".join(
            f"(t._total_level <= {j} OR t.{q(n)} IS NULL OR d.{q(n)} = t.{q(n)})" for j, n in levels
        )
        aggs = ", ".join(f"t.{q(n)} AS {q('t_' + n)}, sum(d.{q(n)}) AS {q('d_' + n)}" for n in numeric)
        group = ", ".join(["t._file", "t._row_number", "t._total_label", *(f"t.{q(n)}" for n in numeric)])
        unpivot = " UNION ALL ".join(
            f"SELECT a._file, f.load_id, {lit(contract.source)}, f.brand, f.store, f.period, a._total_label, "
            f"{lit(n)}, a.{q('t_' + n)}, coalesce(a.{q('d_' + n)}, 0), a._row_number "
            f"FROM agg a JOIN _files f ON f._file = a._file WHERE a.{q('t_' + n)} IS NOT NULL"
            for n in numeric
        )
        conn.execute(
            f"""INSERT INTO _totals
                WITH agg AS (SELECT {aggs}, t._file, t._row_number, t._total_label
                             FROM _typed t LEFT JOIN _typed d
                               ON d._file = t._file AND d._total_level IS NULL
                                  AND NOT coalesce(starts_with(d._reason, 'duplicate key ('), false)
                                  AND {scope or "true"}
                             WHERE t._file IN ({_in(indexes)}) AND t._total_level IS NOT NULL GROUP BY {group})
                {unpivot}"""
        )
    return {
        f: n
        for f, n in conn.execute(
            "SELECT _file, count(*) FILTER (WHERE total_value IS DISTINCT FROM detail_value) FROM _totals GROUP BY _file"
        ).fetchall()
    }


def insert_totals_batch(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("INSERT INTO ops.file_totals SELECT * EXCLUDE (_file) FROM _totals")
