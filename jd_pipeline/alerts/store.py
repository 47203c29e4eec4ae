"""Alert state: `marts.fct_alerts` (one row per alert_key, its current state) and `ops.alert_events`
(every open/resolve, numbered; the outbox the webhooks deliver from is filled from it).

An evaluation is merged in one transaction: a firing key that is new or resolved opens (event
`opened`), a firing open key is refreshed (last_seen, figures; no event), an open key of an
evaluated rule that no longer fires resolves (event `resolved`). Rules that could not evaluate
leave their alerts untouched. Times are UTC (naive), like `ops.load_manifest.delivered_at`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from jd_pipeline.alerts.model import Candidate
from jd_pipeline.warehouse import fetch_row, fetch_value, transaction

ALERTS_TABLE = "marts.fct_alerts"
EVENTS_TABLE = "ops.alert_events"
EVALUATIONS_TABLE = "ops.alert_evaluations"

DDL = """
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS marts.fct_alerts (
    alert_key       VARCHAR NOT NULL PRIMARY KEY,
    rule            VARCHAR NOT NULL,
    brand           VARCHAR,
    store_type      VARCHAR,
    severity        VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    first_seen      TIMESTAMP NOT NULL,
    last_seen       TIMESTAMP NOT NULL,
    resolved_at     TIMESTAMP,
    first_seen_day  DATE NOT NULL,
    last_seen_day   DATE NOT NULL,
    times_opened    INTEGER NOT NULL,
    title           VARCHAR NOT NULL,
    figures         JSON,
    source_load_ids VARCHAR[]
);
CREATE TABLE IF NOT EXISTS ops.alert_events (
    event_id        BIGINT NOT NULL PRIMARY KEY,
    alert_key       VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,
    event_at        TIMESTAMP NOT NULL,
    as_of_day       DATE NOT NULL,
    rule            VARCHAR NOT NULL,
    brand           VARCHAR,
    store_type      VARCHAR,
    severity        VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    figures         JSON
);
CREATE TABLE IF NOT EXISTS ops.alert_evaluations (
    as_of_day       DATE NOT NULL,
    evaluated_at    TIMESTAMP NOT NULL,
    rules_version   INTEGER,
    rules_evaluated VARCHAR[],
    rules_skipped   VARCHAR[],
    firing          INTEGER,
    opened          INTEGER,
    resolved        INTEGER
);
"""


@dataclass
class MergeResult:
    opened: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


def ensure_alert_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(DDL)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def last_evaluated_day(conn: duckdb.DuckDBPyConnection) -> date | None:
    ensure_alert_tables(conn)
    return fetch_value(conn, f"select max(as_of_day) from {EVALUATIONS_TABLE}")


def _existing(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    cur = conn.execute(f"select alert_key, rule, status, times_opened from {ALERTS_TABLE}")
    return {r[0]: {"rule": r[1], "status": r[2], "times_opened": r[3]} for r in cur.fetchall()}


def _event(
    conn: duckdb.DuckDBPyConnection, next_id: int, event: str, c: dict[str, Any], at: datetime, as_of: date
) -> None:
    conn.execute(
        f"insert into {EVENTS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            next_id,
            c["alert_key"],
            event,
            at,
            as_of,
            c["rule"],
            c["brand"],
            c["store_type"],
            c["severity"],
            c["title"],
            c["figures"],
        ],
    )


def _open(
    conn: duckdb.DuckDBPyConnection, c: Candidate, times_opened: int, at: datetime, as_of: date
) -> None:
    conn.execute(f"delete from {ALERTS_TABLE} where alert_key = ?", [c.key])
    conn.execute(
        f"insert into {ALERTS_TABLE} values (?, ?, ?, ?, ?, 'open', ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
        [
            c.key,
            c.rule,
            c.brand,
            c.store_type,
            c.severity,
            at,
            at,
            as_of,
            as_of,
            times_opened,
            c.title,
            _json(c.figures),
            list(c.source_load_ids),
        ],
    )


def _refresh(conn: duckdb.DuckDBPyConnection, c: Candidate, at: datetime, as_of: date) -> None:
    conn.execute(
        f"update {ALERTS_TABLE} set severity = ?, last_seen = ?, last_seen_day = ?, title = ?, figures = ?, "
        "source_load_ids = ? where alert_key = ?",
        [c.severity, at, as_of, c.title, _json(c.figures), list(c.source_load_ids), c.key],
    )


def merge_evaluation(
    conn: duckdb.DuckDBPyConnection,
    candidates: list[Candidate],
    evaluated_rules: set[str],
    skipped_rules: set[str],
    as_of: date,
    at: datetime,
    rules_version: int,
) -> MergeResult:
    """Apply one evaluation to the alert state (one transaction) and record its events."""
    ensure_alert_tables(conn)
    result = MergeResult()
    firing = {c.key: c for c in candidates}
    with transaction(conn):
        existing = _existing(conn)
        next_id = int(fetch_value(conn, f"select coalesce(max(event_id), 0) from {EVENTS_TABLE}")) + 1
        for key, c in sorted(firing.items()):
            before = existing.get(key)
            if before is not None and before["status"] == "open":
                _refresh(conn, c, at, as_of)
                result.refreshed.append(key)
                continue
            _open(conn, c, (before["times_opened"] if before else 0) + 1, at, as_of)
            row = {
                "alert_key": key,
                "rule": c.rule,
                "brand": c.brand,
                "store_type": c.store_type,
                "severity": c.severity,
                "title": c.title,
                "figures": _json(c.figures),
            }
            _event(conn, next_id, "opened", row, at, as_of)
            result.opened.append(key)
            result.event_ids.append(next_id)
            next_id += 1
        for key, before in sorted(existing.items()):
            if before["status"] != "open" or key in firing or before["rule"] not in evaluated_rules:
                continue
            conn.execute(
                f"update {ALERTS_TABLE} set status = 'resolved', resolved_at = ? where alert_key = ?",
                [at, key],
            )
            resolved = fetch_row(
                conn,
                f"select alert_key, rule, brand, store_type, severity, title, figures from {ALERTS_TABLE} "
                "where alert_key = ?",
                [key],
            )
            names = ["alert_key", "rule", "brand", "store_type", "severity", "title", "figures"]
            _event(conn, next_id, "resolved", dict(zip(names, resolved)), at, as_of)
            result.resolved.append(key)
            result.event_ids.append(next_id)
            next_id += 1
        conn.execute(
            f"insert into {EVALUATIONS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                as_of,
                at,
                rules_version,
                sorted(evaluated_rules),
                sorted(skipped_rules),
                len(firing),
                len(result.opened),
                len(result.resolved),
            ],
        )
    return result


def events_after(conn: duckdb.DuckDBPyConnection, after_id: int) -> list[dict[str, Any]]:
    """Events with event_id > after_id, oldest first (JSON-ready)."""
    ensure_alert_tables(conn)
    cur = conn.execute(
        f"select event_id, alert_key, event, event_at, as_of_day, rule, brand, store_type, severity, title, figures "
        f"from {EVENTS_TABLE} where event_id > ? order by event_id",
        [after_id],
    )
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        item = dict(zip(names, row))
        item["event_at"] = item["event_at"].isoformat(timespec="seconds")
        item["as_of_day"] = item["as_of_day"].isoformat()
        item["figures"] = json.loads(item["figures"]) if item["figures"] else {}
        out.append(item)
    return out
