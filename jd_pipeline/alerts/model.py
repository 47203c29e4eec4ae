"""What a rule produces: an alert candidate with a stable key and the figures behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """One firing alert of one evaluation. `key` is stable across evaluations: the same problem gets
    the same key, so it is opened once, kept open while it fires and resolved when it stops."""

    key: str
    rule: str
    brand: str | None
    store_type: str | None
    severity: str  # warning | critical
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    source_load_ids: tuple[str, ...] = ()


def severity_for(value: float, warn: float, critical: float, *, below: bool) -> str | None:
    """`warning`/`critical` when `value` crosses the thresholds (below them when `below`), else None."""
    if below:
        return "critical" if value < critical else "warning" if value < warn else None
    return "critical" if value >= critical else "warning" if value >= warn else None
