"""Evaluate every rule for one business day and merge the result into the alert state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from jd_pipeline.alerts.config import RulesConfig, load_rules
from jd_pipeline.alerts.model import Candidate
from jd_pipeline.alerts.rules import EVALUATORS
from jd_pipeline.alerts.store import MergeResult, last_evaluated_day, merge_evaluation


@dataclass
class Evaluation:
    as_of: date
    candidates: list[Candidate]
    evaluated: set[str]
    skipped: set[str]
    merge: MergeResult | None  # None when the day is older than the last evaluation (not merged)


def evaluate_rules(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> tuple[list[Candidate], set[str], set[str]]:
    candidates: list[Candidate] = []
    evaluated: set[str] = set()
    skipped: set[str] = set()
    for name, evaluate in EVALUATORS.items():
        found = evaluate(conn, cfg, as_of, now)
        if found is None:
            skipped.add(name)
            continue
        evaluated.add(name)
        candidates.extend(found)
    return candidates, evaluated, skipped


def run_alerts(
    conn: duckdb.DuckDBPyConnection, as_of: date, now: datetime, cfg: RulesConfig | None = None
) -> Evaluation:
    """Evaluate for `as_of` (the business day) at `now` (UTC, naive) and merge.

    The state is "as of the newest day evaluated": a backfill of an older window evaluates
    nothing, so re-running history never resolves or reopens today's alerts."""
    cfg = cfg or load_rules()
    last = last_evaluated_day(conn)
    if last is not None and as_of < last:
        return Evaluation(as_of, [], set(), set(), None)
    candidates, evaluated, skipped = evaluate_rules(conn, cfg, as_of, now)
    merged = merge_evaluation(conn, candidates, evaluated, skipped, as_of, now, cfg.version)
    return Evaluation(as_of, candidates, evaluated, skipped, merged)
