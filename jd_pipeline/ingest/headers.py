"""Match a landing file's header line to its contract's columns.

CSV files have their header on the first line; a workbook's header row is the one among the
first rows that names the most contract headers (`header_row`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jd_pipeline.contracts import Column, Contract, header_has_percent, normalize_header
from jd_pipeline.ingest.messages import FileRejected

MAX_NOTED_HEADERS = 10


@dataclass
class MappedColumn:
    column: Column
    header: str  # as written in the file
    index: int
    percent_header: bool


def map_headers(
    contract: Contract, headers: list[Any], where: str
) -> tuple[dict[str, MappedColumn], list[str]]:
    """Match file headers to contract columns. Rejects a missing required header and a known
    header given twice (which copy holds the data is unknowable). The reasons never quote the
    file's line: without a recognisable header it may be a data row (personal data included)."""
    mapped: dict[str, MappedColumn] = {}
    seen: dict[str, int] = {}  # contract header -> 1-based column where it was first found
    notes: list[str] = []
    unknown: list[str] = []
    for i, raw in enumerate(headers):
        text = "" if raw is None else str(raw)
        norm = normalize_header(text)
        if not norm:
            continue
        col = next((c for c in contract.columns if c.matches(norm)), None)
        if col is None:
            unknown.append(text.strip())
            continue
        if col.header in seen:
            raise FileRejected(
                f"{where}: duplicate header {col.header} at columns {seen[col.header]} and {i + 1}"
            )
        seen[col.header] = i + 1
        if col.name is not None:
            mapped[col.name] = MappedColumn(col, text.strip(), i, header_has_percent(text))
    missing = [c.header for c in contract.required_columns if c.name not in mapped]
    if missing:
        raise FileRejected(
            f"{where}: missing required header(s) {', '.join(missing)} (header line has "
            f"{len(headers)} field(s), {len(seen)} of them contract headers)"
        )
    if unknown:
        notes.append(
            "ignored unknown header(s): "
            + ", ".join(_short(u) for u in unknown[:MAX_NOTED_HEADERS])
            + (f" and {len(unknown) - MAX_NOTED_HEADERS} more" if len(unknown) > MAX_NOTED_HEADERS else "")
        )
    return mapped, notes


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def column_labels(contract: Contract, headers: list[str]) -> list[str]:
    """A name per header field for messages: the contract header, else its position."""
    labels = []
    for i, h in enumerate(headers):
        col = next((c for c in contract.columns if c.matches(normalize_header(h))), None) if h else None
        labels.append(col.header if col is not None else f"column {i + 1}")
    return labels


def header_row(contract: Contract, rows: list[list[Any]]) -> int:
    """Index of the header row among the first rows: the one matching most contract headers."""
    known = frozenset().union(*(c.normalized_headers for c in contract.columns))
    best, best_hits = 0, -1
    for i, row in enumerate(rows):
        hits = sum(1 for v in row if v is not None and normalize_header(str(v)) in known)
        if hits > best_hits:
            best, best_hits = i, hits
    return best
