"""The delivery outbox: messages to send and what each channel has received, in one SQLite file
(`$JD_DATA_DIR/alerts/outbox.sqlite`).

Why SQLite and not the warehouse: the delivery sensor runs while pipeline runs hold DuckDB's
single-writer lock; SQLite lets the alerts asset append and the sensor mark deliveries from two
processes, and every delivery is committed as soon as the platform accepted it, so a sensor (or
process) restart never sends a message twice. Messages: alert events (`alert_event:<event_id>`)
and daily flash cards (`flash:<brand>:<day>`), each with a unique dedupe key.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jd_pipeline.config import get_settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    message_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key  TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,            -- alert_event | flash
    payload     TEXT NOT NULL,            -- JSON
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    channel      TEXT NOT NULL,
    message_id   INTEGER NOT NULL REFERENCES messages (message_id),
    delivered_at TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE TABLE IF NOT EXISTS failures (
    channel      TEXT NOT NULL,
    message_id   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    last_error   TEXT NOT NULL,
    last_try_at  TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);
"""


@dataclass(frozen=True)
class Message:
    message_id: int
    dedupe_key: str
    kind: str
    payload: dict[str, Any]


def outbox_path() -> Path:
    return get_settings().data_dir / "alerts" / "outbox.sqlite"


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@contextmanager
def open_outbox(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    path = path or outbox_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        yield conn
    finally:
        conn.close()


def enqueue(conn: sqlite3.Connection, dedupe_key: str, kind: str, payload: dict[str, Any]) -> bool:
    """Add a message unless its dedupe key is already there; True when added."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO messages (dedupe_key, kind, payload, created_at) VALUES (?, ?, ?, ?)",
        [dedupe_key, kind, json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str), _now()],
    )
    return cur.rowcount == 1


def last_alert_event_id(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT max(CAST(json_extract(payload, '$.event_id') AS INTEGER)) FROM messages WHERE kind = 'alert_event'"
    ).fetchone()
    return int(row[0] or 0)


def enqueue_alert_events(conn: sqlite3.Connection, events: list[dict[str, Any]]) -> int:
    return sum(enqueue(conn, f"alert_event:{e['event_id']}", "alert_event", e) for e in events)


def pending(conn: sqlite3.Connection, channel: str, limit: int) -> list[Message]:
    rows = conn.execute(
        "SELECT m.message_id, m.dedupe_key, m.kind, m.payload FROM messages AS m "
        "WHERE NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.channel = ? AND d.message_id = m.message_id) "
        "ORDER BY m.message_id LIMIT ?",
        [channel, limit],
    ).fetchall()
    return [Message(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def attempts_so_far(conn: sqlite3.Connection, channel: str, message_id: int) -> int:
    row = conn.execute(
        "SELECT attempts FROM failures WHERE channel = ? AND message_id = ?", [channel, message_id]
    ).fetchone()
    return int(row[0]) if row else 0


def mark_delivered(conn: sqlite3.Connection, channel: str, message_ids: list[int], attempts: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for mid in message_ids:
        total = attempts_so_far(conn, channel, mid) + attempts
        conn.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)", [channel, mid, _now(), total])
        conn.execute("DELETE FROM failures WHERE channel = ? AND message_id = ?", [channel, mid])
    conn.execute("COMMIT")


def mark_failed(
    conn: sqlite3.Connection, channel: str, message_ids: list[int], attempts: int, error: str
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for mid in message_ids:
        conn.execute(
            "INSERT INTO failures VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, message_id) DO UPDATE SET "
            "attempts = attempts + excluded.attempts, last_error = excluded.last_error, "
            "last_try_at = excluded.last_try_at",
            [channel, mid, attempts, error[:500], _now()],
        )
    conn.execute("COMMIT")


def delivered_count(conn: sqlite3.Connection, channel: str) -> int:
    return int(conn.execute("SELECT count(*) FROM deliveries WHERE channel = ?", [channel]).fetchone()[0])
