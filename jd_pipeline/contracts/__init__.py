"""Source contracts: one YAML per source of `sources.md`, loaded into typed dataclasses.

The loader (`jd_pipeline.ingest`) is driven entirely by these; nothing source-specific lives
in code. See `docs/bad_inputs.md` for what each setting does to bad input.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTRACTS_DIR = Path(__file__).resolve().parent

COLUMN_TYPES = ("text", "int", "money", "decimal", "percent", "date", "timestamp", "month", "quarter")
NUMERIC_TYPES = ("int", "money", "decimal")
PERIOD_KINDS = ("daily", "monthly", "quarterly", "yearly")
STORE_RULES = ("pop", "self", "path", "none")
REPLACE_RULES = ("period", "file")
PII_RULES = ("drop", "hash", "province")
DEFAULT_TOTAL_MARKERS = ("合计", "总计", "汇总")

SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "money": "DECIMAL(18,2)",
    "decimal": "DECIMAL(18,4)",
    "percent": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "month": "VARCHAR",
    "quarter": "VARCHAR",
}


class ContractError(ValueError):
    """A contract YAML is invalid."""


@functools.lru_cache(maxsize=8192)
def normalize_header(text: str) -> str:
    """Canonical form of a header: NFKC (full-width brackets/spaces -> ASCII), no whitespace,
    no percent marker (`点击率(%)`, `点击率%` -> `点击率`), upper-case Latin letters."""
    value = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    value = re.sub(r"\s+", "", value)
    value = re.sub(r"\(%\)$|%$", "", value)
    return value.upper()


def header_has_percent(text: str) -> bool:
    """True if the header says its values are percent numbers (`点击率(%)`)."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    return value.endswith(("(%)", "%"))


@dataclass(frozen=True)
class Column:
    header: str
    name: str | None  # None: read-only column never stored (personal data, ratios to recompute)
    type: str = "text"
    aliases: tuple[str, ...] = ()
    id: bool = False
    pii: str | None = None
    required: bool = True

    @property
    def stored(self) -> bool:
        return self.name is not None

    @property
    def stored_name(self) -> str:
        """`name` of a stored column (`Contract.stored_columns`); a never-stored column has none."""
        if self.name is None:
            raise ValueError(f"column {self.header} is never stored")
        return self.name

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @functools.cached_property
    def normalized_headers(self) -> frozenset[str]:
        return frozenset(normalize_header(h) for h in (self.header, *self.aliases))

    def matches(self, normalized_header: str) -> bool:
        return normalized_header in self.normalized_headers


@dataclass(frozen=True)
class Derived:
    name: str
    type: str
    source_column: str
    fn: str

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Contract:
    source: str
    description: str
    layout: str  # "brand/period" or "brand/store/period"
    file_kinds: tuple[str, ...]
    encodings: tuple[str, ...]
    period_kind: str
    store: str
    replace: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    derived: tuple[Derived, ...] = ()
    period_column: str | None = None
    total_levels: tuple[str, ...] = ()
    total_markers: tuple[str, ...] = DEFAULT_TOTAL_MARKERS
    allow_negative: frozenset[str] = field(default_factory=frozenset)
    pulled_suffix: bool = False
    # A delivery is expected for every day (per brand and store) and its row count is comparable
    # from day to day: a day without a file is a gap, a near-empty day is held (plausibility.py).
    every_day: bool = False

    @property
    def has_store_dir(self) -> bool:
        return self.layout == "brand/store/period"

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.stored)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.stored and c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.source}: no column named {name!r}")

    def fixed_store(self) -> str | None:
        """The `_store` value for sources whose store does not come from the path."""
        return self.store if self.store in ("pop", "self") else None

    def output_columns(self) -> list[tuple[str, str]]:
        """(name, SQL type) of the raw table's business columns, in contract order."""
        out: list[tuple[str, str]] = []
        for col in self.stored_columns:
            out.append((col.stored_name, col.sql_type))
            out.extend((d.name, d.sql_type) for d in self.derived if d.source_column == col.name)
        return out


def _column(raw: dict[str, Any], source: str) -> Column:
    if raw.get("drop") or raw.get("pii") == "drop":
        return Column(
            header=raw["header"],
            name=None,
            pii=raw.get("pii"),
            required=False,
            aliases=tuple(raw.get("aliases", ())),
        )
    col = Column(
        header=raw["header"],
        name=raw["name"],
        type=raw.get("type", "text"),
        aliases=tuple(raw.get("aliases", ())),
        id=bool(raw.get("id", False)),
        pii=raw.get("pii"),
        required=bool(raw.get("required", True)),
    )
    if col.type not in COLUMN_TYPES:
        raise ContractError(f"{source}: column {col.header}: unknown type {col.type!r}")
    if col.pii is not None and col.pii not in PII_RULES:
        raise ContractError(f"{source}: column {col.header}: unknown pii rule {col.pii!r}")
    return col


def _parse(raw: dict[str, Any]) -> Contract:
    source = raw["source"]
    contract = Contract(
        source=source,
        description=raw.get("description", ""),
        layout=raw.get("layout", "brand/period"),
        file_kinds=tuple(raw["file_kinds"]),
        encodings=tuple(raw.get("encodings", ("utf-8",))),
        period_kind=raw["period_kind"],
        store=raw["store"],
        replace=raw.get("replace", "period"),
        grain=tuple(raw["grain"]),
        columns=tuple(_column(c, source) for c in raw["columns"]),
        derived=tuple(
            Derived(name=d["name"], type=d["type"], source_column=d["from"], fn=d["fn"])
            for d in raw.get("derived", ())
        ),
        period_column=raw.get("period_column"),
        total_levels=tuple(raw.get("total_levels", ())),
        total_markers=tuple(raw.get("total_markers", DEFAULT_TOTAL_MARKERS)),
        allow_negative=frozenset(raw.get("allow_negative", ())),
        pulled_suffix=bool(raw.get("pulled_suffix", False)),
        every_day=bool(raw.get("every_day", False)),
    )
    _validate(contract)
    return contract


def _validate(c: Contract) -> None:
    names = {col.name for col in c.stored_columns}
    problems = []
    if c.period_kind not in PERIOD_KINDS:
        problems.append(f"period_kind {c.period_kind!r}")
    if c.store not in STORE_RULES:
        problems.append(f"store {c.store!r}")
    if c.replace not in REPLACE_RULES:
        problems.append(f"replace {c.replace!r}")
    if c.layout not in ("brand/period", "brand/store/period"):
        problems.append(f"layout {c.layout!r}")
    if c.every_day and c.period_kind != "daily":
        problems.append("every_day requires period_kind daily")
    if (c.store == "path") != c.has_store_dir:
        problems.append("store: path requires layout brand/store/period")
    for ref in (
        *c.grain,
        *c.total_levels,
        *c.allow_negative,
        *([c.period_column] if c.period_column else []),
    ):
        if ref not in names:
            problems.append(f"unknown column {ref!r}")
    if problems:
        raise ContractError(f"contract {c.source}: invalid " + "; ".join(problems))


@lru_cache(maxsize=1)
def load_contracts() -> dict[str, Contract]:
    """Every contract of `jd_pipeline/contracts/*.yaml`, keyed by source name."""
    contracts = {}
    for path in sorted(CONTRACTS_DIR.glob("*.yaml")):
        contract = _parse(yaml.safe_load(path.read_text(encoding="utf-8")))
        if contract.source != path.stem:
            raise ContractError(f"{path.name}: source {contract.source!r} must match the file name")
        contracts[contract.source] = contract
    return contracts


def get_contract(source: str) -> Contract:
    try:
        return load_contracts()[source]
    except KeyError:
        raise ContractError(f"no contract for source {source!r}") from None
