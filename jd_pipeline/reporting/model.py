"""The shape every report has: sections of tables and charts, plus the key numbers it states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Format = Literal["money", "int", "pct", "ratio", "num", "text"]


@dataclass
class Table:
    """A small table (pandas, already aggregated in SQL) and how to format its columns."""

    sheet: str  # Excel sheet name (<= 31 chars, unique in the report)
    title: str
    frame: pd.DataFrame
    formats: dict[str, Format] = field(default_factory=dict)


@dataclass
class Chart:
    title: str
    png: bytes


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class KeyNumber:
    """A headline figure shown at the top; `key` is stable (tests and metadata use it)."""

    key: str
    label: str
    value: float | None
    fmt: Format = "money"


@dataclass
class Report:
    kind: str  # monthly_business_review, campaign_recap, opex, agency_scorecard
    brand: str
    period: str  # YYYY-MM, YYYYQn, YYYY
    title: str
    file_stem: str
    subtitle: str = ""
    key_numbers: list[KeyNumber] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def key_values(self) -> dict[str, float | None]:
        return {k.key: k.value for k in self.key_numbers}
