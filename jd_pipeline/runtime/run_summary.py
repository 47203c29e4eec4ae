"""The per-source part of `jd-pipeline run`'s report: what each source loaded, what was held back
and why, late deliveries taken in and deliveries missing for the window's days."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jd_pipeline.orchestrate import RunReport

MAX_ASSETS_LISTED = 8


def render_summary(report: RunReport) -> list[str]:
    lines: list[str] = []
    if report.build_start and report.build_start < report.start:
        lines.append(
            f"  rebuilt from {report.build_start} (late deliveries or held-back days before {report.start})"
        )
    lines += [f"  note: {note}" for note in report.notes]
    lines += [f"  missing delivery: {line}" for line in report.missing]
    if report.no_data:
        lines.append("  no extract file for the window and nothing new in the landing zone: nothing was run")
    lines += _per_source(report)
    lines += _held(report)
    return lines


def _per_source(report: RunReport) -> list[str]:
    loaded: dict[str, dict[str, int]] = {}
    for outcome in report.outcomes:
        loaded.update(outcome.loaded)
    held_sources = sorted(key for key in report.held if key.startswith("raw/"))
    sources = sorted(set(loaded) | set(held_sources))
    if not sources:
        return []
    lines = ["  sources:"]
    for key in sources:
        counts = loaded.get(key)
        text = _counts(counts) if counts is not None else "not loaded"
        if key in report.held:
            text += f"; HELD: {report.held[key]}"
        lines.append(f"    {key:<32} {text}")
    if loaded and not any(c.get("files_loaded", 0) + c.get("files_replaced", 0) for c in loaded.values()):
        lines.append(
            "    nothing new was loaded: every file of the window was loaded before, or none arrived"
        )
    return lines


def _counts(counts: dict[str, int]) -> str:
    files = counts.get("files_loaded", 0)
    text = f"{files} file(s) loaded, {counts.get('rows_loaded', 0):,} rows"
    extra = [
        f"{counts[name]} {label}"
        for name, label in (
            ("rows_quarantined", "rows quarantined"),
            ("files_rejected", "file(s) rejected"),
            ("files_duplicate", "duplicate file(s)"),
        )
        if counts.get(name)
    ]
    return text + (f" ({', '.join(extra)})" if extra else "")


def _held(report: RunReport) -> list[str]:
    if not report.held:
        return []
    by_reason: dict[str, list[str]] = defaultdict(list)
    for asset, reason in report.held.items():
        by_reason[reason].append(asset)
    lines = [
        f"  held back ({len(report.held)} assets; they keep their previous state, nothing is published):"
    ]
    for reason, assets in sorted(by_reason.items()):
        shown = ", ".join(sorted(assets)[:MAX_ASSETS_LISTED])
        more = f" and {len(assets) - MAX_ASSETS_LISTED} more" if len(assets) > MAX_ASSETS_LISTED else ""
        lines.append(f"    because {reason}: {shown}{more}")
    return lines
