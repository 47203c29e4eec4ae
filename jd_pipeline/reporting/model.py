"""The shape every report has: sections of tables and charts, plus the key numbers it states.

Columns keep their mart names in the frames (tests and the xlsx read them by name); the renderers
label them in Chinese from the shared dictionary (`labels.py`) and format them by kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

# money: 元 (万元 when large); pct: a ratio shown as %; int: a count; ratio: a plain multiple (ROI);
# num: a plain number; date: a calendar day; bool: 是/否; text: as is.
Format = Literal["money", "int", "pct", "ratio", "num", "date", "bool", "text"]


@dataclass
class Table:
    """A small table (pandas, already aggregated in SQL) and how to format its columns.

    `model` is the mart the columns come from (their labels are looked up there first);
    `labels` overrides a column's label for this table; `cell_formats` gives one format per row for
    a column whose rows differ in kind (a transposed table, KPIs with different units)."""

    sheet: str  # Excel sheet name (<= 31 chars, unique in the report)
    title: str
    frame: pd.DataFrame
    formats: dict[str, Format] = field(default_factory=dict)
    model: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    cell_formats: dict[str, list[Format]] = field(default_factory=dict)
    note: str = ""

    def format_of(self, column: str, row: int) -> Format:
        if column in self.cell_formats:
            return self.cell_formats[column][row]
        return self.formats.get(column, "text")


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
    """A headline figure shown at the top; `key` is stable (tests and metadata use it).

    `pending` = the figure does not exist yet (e.g. OPEX actual before the month's ledger): it
    shows as pending, never as 0; `note` is a short qualifier under the value (e.g. 截至 6月30日)."""

    key: str
    label: str
    value: float | None
    fmt: Format = "money"
    pending: bool = False
    note: str = ""


@dataclass
class Report:
    kind: str  # monthly_business_review, campaign_recap, opex_<scope>, agency_scorecard
    brand: str
    period: str  # YYYY-MM, YYYYQn, YYYY
    title: str
    file_stem: str
    subtitle: str = ""
    key_numbers: list[KeyNumber] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # Shown above everything, highlighted: an open period (总账未到: 以下为估算), data to a given day.
    banners: list[str] = field(default_factory=list)

    def key_values(self) -> dict[str, float | None]:
        return {k.key: k.value for k in self.key_numbers}
