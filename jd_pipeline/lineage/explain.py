"""`jd-pipeline explain MART COLUMN=VALUE …`: the delivered files and raw rows behind a mart figure.

Filters are the mart's grain columns; a partial grain explains the sum of the matching rows. The
answer names, per feed, each file (path relative to the landing zone, sha256, delivered_at,
manifest status) and its data row numbers as ranges. Only paths, hashes, counts and row numbers
are printed: never a cell's content (personal columns stay out by construction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from jd_pipeline.lineage.feeds import LINEAGE, Feed, MartLineage
from jd_pipeline.warehouse import fetch_row, table_exists


class ExplainError(ValueError):
    """A request that cannot be answered (unknown mart, column, bad value): the message says why."""


@dataclass
class FileRows:
    load_id: str
    path: str | None
    sha256: str | None
    delivered_at: str | None
    status: str | None
    rows: int
    ranges: list[tuple[int, int]]

    def ranges_text(self, limit: int = 12) -> str:
        parts = [str(a) if a == b else f"{a}-{b}" for a, b in self.ranges[:limit]]
        more = len(self.ranges) - limit
        return ", ".join(parts) + (f", … (+{more} ranges)" if more > 0 else "")


@dataclass
class FeedAnswer:
    source: str
    relation: str
    measures: tuple[str, ...]
    note: str
    files: list[FileRows] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


@dataclass
class Explanation:
    mart: str
    filters: dict[str, str]
    mart_rows: int
    totals: dict[str, Any]
    feeds: list[FeedAnswer]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return float(v) if isinstance(v, Decimal) else v

        return {
            "mart": self.mart,
            "filters": self.filters,
            "mart_rows": self.mart_rows,
            "totals": {k: plain(v) for k, v in self.totals.items()},
            "notes": list(self.notes),
            "feeds": [
                {
                    "source": f.source,
                    "relation": f.relation,
                    "measures": list(f.measures),
                    "note": f.note,
                    "files": [
                        {
                            "load_id": x.load_id,
                            "path": x.path,
                            "sha256": x.sha256,
                            "delivered_at": x.delivered_at,
                            "status": x.status,
                            "rows": x.rows,
                            "row_ranges": [list(r) for r in x.ranges],
                        }
                        for x in f.files
                    ],
                    "superseded": f.superseded,
                }
                for f in self.feeds
            ],
        }


def parse_filters(lineage: MartLineage, pairs: list[str]) -> dict[str, str]:
    filters: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise ExplainError(f"filter {pair!r} is not COLUMN=VALUE")
        if name not in lineage.grain:
            raise ExplainError(
                f"{name!r} is not a grain column of {lineage.mart} (grain: {', '.join(lineage.grain)})"
            )
        if name in filters:
            raise ExplainError(f"{name} is given twice")
        filters[name] = value
    if not filters:
        raise ExplainError(f"give at least one filter on {', '.join(lineage.grain)}")
    return filters


def _mart_totals(
    conn: duckdb.DuckDBPyConnection, mart: str, filters: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    cols = conn.execute(
        "select column_name, data_type from information_schema.columns where table_schema = 'marts' "
        "and table_name = ? order by ordinal_position",
        [mart],
    ).fetchall()
    if not cols:
        raise ExplainError(f"marts.{mart} does not exist in this warehouse (has the pipeline run?)")
    numeric = [
        c
        for c, t in cols
        if (t.startswith("DECIMAL") or t in ("BIGINT", "INTEGER", "HUGEINT")) and c not in filters
    ]
    where = " and ".join(f'cast("{c}" as varchar) = ?' for c in filters)
    sums = ", ".join(f'sum("{c}")' for c in numeric)
    row = fetch_row(
        conn,
        f"select count(*){', ' + sums if sums else ''} from marts.{mart} where {where}",
        list(filters.values()),
    )
    return int(row[0]), dict(zip(numeric, row[1:]))


def _relation_exists(conn: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return table_exists(conn, schema, name)


def _feed_rows(
    conn: duckdb.DuckDBPyConnection, feed: Feed, filters: dict[str, str]
) -> list[tuple[str, int, int, int]]:
    """(load_id, first row, last row, rows) per run of consecutive row numbers."""
    clauses, params = [feed.where], []
    for name, value in filters.items():
        build = feed.predicates.get(name)
        if build is None:
            continue
        try:
            sql, args = build(value)
        except ValueError as exc:
            raise ExplainError(f"{name}={value!r}: {exc}") from exc
        clauses.append(sql)
        params += args
    return conn.execute(
        f"""
        with hits as (
            select {feed.load_col} as load_id, {feed.row_col} as row_number
            from {feed.relation} as r {feed.joins}
            where {" and ".join(f"({c})" for c in clauses)}),
        islands as (
            select load_id, row_number,
                   row_number - row_number() over (partition by load_id order by row_number) as island
            from hits)
        select load_id, min(row_number), max(row_number), count(*)
        from islands group by load_id, island order by load_id, 2""",
        params,
    ).fetchall()


def _manifest(conn: duckdb.DuckDBPyConnection, load_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not load_ids:
        return {}
    cur = conn.execute(
        "select load_id, path, sha256, delivered_at, status, source, brand, store, period from ops.load_manifest "
        "where load_id in (select unnest(?))",
        [load_ids],
    )
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def _superseded(conn: duckdb.DuckDBPyConnection, used: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Other deliveries of the same (source, brand, store, period): replaced, duplicate or rejected."""
    keys = sorted({(m["source"], m["brand"], m["store"] or "", m["period"]) for m in used})
    if not keys:
        return []
    cur = conn.execute(
        """
        select path, sha256, delivered_at, status, reason from ops.load_manifest
        where status <> 'loaded' and (source, brand, coalesce(store, ''), period) in (
            select (k[1], k[2], k[3], k[4]) from (select unnest(?) as k))
        order by delivered_at""",
        [[list(k) for k in keys]],
    )
    names = [d[0] for d in cur.description]
    return [{**dict(zip(names, r)), "delivered_at": str(r[2]) if r[2] else None} for r in cur.fetchall()]


def _answer_feed(conn: duckdb.DuckDBPyConnection, feed: Feed, filters: dict[str, str]) -> FeedAnswer:
    answer = FeedAnswer(feed.source, feed.relation, feed.measures, feed.note)
    if not _relation_exists(conn, feed.relation):
        answer.note = f"{feed.relation} does not exist in this warehouse"
        return answer
    runs = _feed_rows(conn, feed, filters)
    manifest = _manifest(conn, sorted({r[0] for r in runs}))
    by_file: dict[str, FileRows] = {}
    for load_id, first, last, count in runs:
        m = manifest.get(load_id, {})
        entry = by_file.setdefault(
            load_id,
            FileRows(
                load_id,
                m.get("path"),
                m.get("sha256"),
                str(m["delivered_at"]) if m.get("delivered_at") else None,
                m.get("status"),
                0,
                [],
            ),
        )
        entry.rows += int(count)
        entry.ranges.append((int(first), int(last)))
    answer.files = sorted(by_file.values(), key=lambda f: (f.path or "", f.load_id))
    answer.superseded = _superseded(conn, [m for m in manifest.values()])
    return answer


def explain(conn: duckdb.DuckDBPyConnection, mart: str, pairs: list[str]) -> Explanation:
    lineage = LINEAGE.get(mart.removeprefix("marts."))
    if lineage is None:
        raise ExplainError(f"no lineage for {mart!r}; explainable marts: {', '.join(sorted(LINEAGE))}")
    filters = parse_filters(lineage, pairs)
    rows, totals = _mart_totals(conn, lineage.mart, filters)
    store = filters.get("store_type")
    feeds = [f for f in lineage.feeds if store is None or f.stores is None or store in f.stores]
    return Explanation(
        lineage.mart, filters, rows, totals, [_answer_feed(conn, f, filters) for f in feeds], lineage.notes
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(e: Explanation) -> str:
    head = " ".join(f"{k}={v}" for k, v in e.filters.items())
    lines = [f"{e.mart} {head}: {e.mart_rows:,} mart row(s)"]
    if e.totals:
        lines.append("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in e.totals.items()))
    for f in e.feeds:
        measures = "all columns" if f.measures == ("*",) else ", ".join(f.measures)
        lines.append(
            f"\n{f.source} ({f.relation}) -> {measures}: {len(f.files)} file(s), {f.rows:,} row(s)"
            + (f"  [{f.note}]" if f.note else "")
        )
        for x in f.files:
            lines.append(f"  {x.path}  ({x.status})")
            lines.append(f"    sha256 {x.sha256}  delivered_at {x.delivered_at}  load_id {x.load_id}")
            lines.append(f"    rows {x.rows:,}: {x.ranges_text()}")
        for s in f.superseded:
            lines.append(
                f"  also delivered, not used: {s['path']} ({s['status']}, {s['delivered_at']}"
                + (f", {s['reason']}" if s.get("reason") else "")
                + ")"
            )
    lines += [f"\nnote: {n}" for n in e.notes]
    return "\n".join(lines)


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise ExplainError(f"no warehouse at {path} (set JD_DATA_DIR or pass --db)")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise ExplainError(
            f"{path} is locked by a running pipeline step; try again when it ends ({exc})"
        ) from exc


def run_explain(db: Path, mart: str, pairs: list[str], as_json: bool = False) -> str:
    conn = open_warehouse(db)
    try:
        answer = explain(conn, mart, pairs)
    finally:
        conn.close()
    return (
        json.dumps(answer.to_json(), ensure_ascii=False, indent=2, default=str) if as_json else render(answer)
    )
