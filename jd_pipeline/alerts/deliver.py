"""Deliver the outbox to every configured channel: alert events batched into one message per
channel and round, each flash card as its own message. A message is marked delivered the moment
its platform accepted it; a refused one stays pending for the next round (retried up to
MAX_ATTEMPTS in total, then given up and recorded in `failures`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jd_pipeline.alerts import outbox
from jd_pipeline.alerts.webhooks import Channel, DeliveryError, send_with_retries

BATCH_SIZE = 20  # alert events per message (group robots allow ~20 messages a minute)
MAX_ATTEMPTS = 30  # over all rounds; a message refused this often is given up
SEVERITY_MARK = {"critical": "🔴", "warning": "🟠"}


@dataclass
class DeliveryReport:
    sent: dict[str, int] = field(default_factory=dict)  # channel -> messages (platform posts)
    events: dict[str, int] = field(default_factory=dict)  # channel -> outbox messages covered
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{c}: {self.events.get(c, 0)} item(s) in {n} post(s)" for c, n in sorted(self.sent.items())]
        return "; ".join(parts + self.errors) or "nothing to deliver"


def _event_line(e: dict[str, Any]) -> str:
    if e["event"] == "resolved":
        return f"✅ 已恢复 {e['title']}"
    return f"{SEVERITY_MARK.get(e['severity'], '•')} [{e['severity']}] {e['title']}"


def format_alerts(events: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(title, markdown, plain text) of a batch of alert events."""
    opened = sum(e["event"] == "opened" for e in events)
    resolved = len(events) - opened
    title = f"jd-ops 告警: 新增 {opened} · 恢复 {resolved}"
    lines = [_event_line(e) + f"  `{e['alert_key']}`" for e in events]
    markdown = f"### {title}\n" + "\n".join(f"> {line}" for line in lines)
    plain = title + "\n" + "\n".join(_event_line(e) + f" ({e['alert_key']})" for e in events)
    return title, markdown, plain


def format_flash(card: dict[str, Any]) -> tuple[str, str, str]:
    title = card["title"]
    lines = card["lines"]
    link = card.get("link")
    markdown = f"### {title}\n" + "\n".join(f"> {line}" for line in lines)
    plain = title + "\n" + "\n".join(lines)
    if link:
        markdown += f"\n[查看日报]({link})"
        plain += f"\n查看日报: {link}"
    return title, markdown, plain


def _rounds(messages: list[outbox.Message]) -> list[list[outbox.Message]]:
    """Consecutive alert events go together (up to BATCH_SIZE); other messages go alone, in order."""
    out: list[list[outbox.Message]] = []
    for m in messages:
        if m.kind == "alert_event" and out and out[-1][0].kind == "alert_event" and len(out[-1]) < BATCH_SIZE:
            out[-1].append(m)
        else:
            out.append([m])
    return out


def _format(batch: list[outbox.Message]) -> tuple[str, str, str]:
    if batch[0].kind == "alert_event":
        return format_alerts([m.payload for m in batch])
    return format_flash(batch[0].payload)


def deliver_channel(
    conn: sqlite3.Connection,
    channel: Channel,
    report: DeliveryReport,
    *,
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None],
    limit: int,
) -> None:
    todo = [
        m
        for m in outbox.pending(conn, channel.name, limit)
        if outbox.attempts_so_far(conn, channel.name, m.message_id) < MAX_ATTEMPTS
    ]
    for batch in _rounds(todo):
        ids = [m.message_id for m in batch]
        title, markdown, plain = _format(batch)
        try:
            used = send_with_retries(
                channel,
                title,
                markdown,
                plain,
                attempts=attempts,
                backoff_seconds=backoff_seconds,
                sleep=sleep,
            )
        except DeliveryError as exc:
            outbox.mark_failed(conn, channel.name, ids, attempts, str(exc))
            report.errors.append(str(exc))
            return  # keep the order: later messages wait until this one goes through
        outbox.mark_delivered(conn, channel.name, ids, used)
        report.sent[channel.name] = report.sent.get(channel.name, 0) + 1
        report.events[channel.name] = report.events.get(channel.name, 0) + len(ids)


def deliver_pending(
    channels: list[Channel],
    path=None,
    *,
    attempts: int = 3,
    backoff_seconds: float = 2.0,
    sleep: Callable[[float], None] | None = None,
    limit: int = 200,
) -> DeliveryReport:
    import time

    report = DeliveryReport()
    with outbox.open_outbox(path) as conn:
        for channel in channels:
            deliver_channel(
                conn,
                channel,
                report,
                attempts=attempts,
                backoff_seconds=backoff_seconds,
                sleep=sleep or time.sleep,
                limit=limit,
            )
    return report
