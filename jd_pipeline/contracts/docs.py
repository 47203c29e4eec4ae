"""`docs/sources.md`, generated: the raw-extract contract as the repo carries it.

The contract YAMLs give paths, formats, headers, types, keys and personal-data rules; the dbt
raw sources (`_raw__sources.yml`) give each stored column's description. Nothing is written by
hand, so the document cannot drift from what the loader does (`tests/dbt/test_sources_doc.py`).

    python -m jd_pipeline.contracts.docs          # rewrite docs/sources.md
    python -m jd_pipeline.contracts.docs --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import sys

import yaml

from jd_pipeline.config import DBT_PROJECT_DIR, REPO_ROOT
from jd_pipeline.contracts import Column, Contract, load_contracts

DOC_PATH = REPO_ROOT / "docs" / "sources.md"
RAW_SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "_raw__sources.yml"

PII_RULE_TEXT = {
    "drop": "personal: never read into the warehouse",
    "hash": "personal: stored only as a salted SHA-256 (`JD_BUYER_SALT`)",
    "province": "personal: only the province it starts with is stored",
}
PERIOD_FOLDER = {"daily": "YYYY-MM-DD", "monthly": "YYYY-MM", "quarterly": "YYYYQn", "yearly": "YYYY"}

HEADER = """# Raw extracts: the source contract

Generated from `jd_pipeline/contracts/*.yaml` and the descriptions of
`dbt_project/models/staging/_raw__sources.yml` by `python -m jd_pipeline.contracts.docs`; edit those,
never this file. What the loader does with bad input: `docs/bad_inputs.md`. Where the team's original
contract left room, the readings taken are listed in the README.

Every extract lands at `$JD_DATA_DIR/landing/<source>/<brand>/[<store>/]<period>/<file>`. Column
types: text → VARCHAR, int → BIGINT, money → DECIMAL(18,2), decimal → DECIMAL(18,4), percent → DOUBLE
as a ratio, date → DATE, timestamp → TIMESTAMP, month `YYYY-MM` and quarter `YYYYQn` → VARCHAR.
"""


def _descriptions() -> dict[str, dict[str, str]]:
    doc = yaml.safe_load(RAW_SOURCES_YML.read_text(encoding="utf-8"))
    tables = next(s for s in doc["sources"] if s["name"] == "raw")["tables"]
    return {t["name"]: {c["name"]: c.get("description", "") for c in t["columns"]} for t in tables}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _column_row(col: Column, described: dict[str, str]) -> str:
    headers = " / ".join((col.header, *col.aliases))
    name = f"`{col.name}`" if col.stored else "—"
    notes = [PII_RULE_TEXT[col.pii]] if col.pii else []
    if col.id:
        notes.append("identifier: read as text, never as a number")
    if col.stored and not col.required:
        notes.append("optional")
    if col.stored and col.name and described.get(col.name):
        notes.insert(0, described[col.name].rstrip("."))
    col_type = col.type if col.stored else "—"
    return f"| {_cell(headers)} | {name} | {col_type} | {_cell('; '.join(notes))} |"


def _source_section(contract: Contract, described: dict[str, str]) -> list[str]:
    store_dir = "<store>/" if contract.has_store_dir else ""
    lines = [
        f"## `{contract.source}`",
        "",
        contract.description,
        "",
        (
            f"- path: `{contract.source}/<brand>/{store_dir}<{PERIOD_FOLDER[contract.period_kind]}>/<file>`"
            f" ({contract.period_kind} periods)"
        ),
        f"- files: {', '.join(contract.file_kinds)}; encodings: {', '.join(contract.encodings)}",
        f"- grain (one row per): {', '.join(f'`{g}`' for g in contract.grain)}",
        "- a newer delivery replaces "
        + ("the whole period" if contract.replace == "period" else "the file of the same name"),
    ]
    if contract.every_day:
        lines.append(
            "- a file every day, of comparable size: a day without one is listed as missing (`jd-pipeline "
            "status`), a near-empty day (under `JD_HOLD_LOW_DAY` of its recent median) is held until accepted"
        )
    if contract.pulled_suffix:
        lines.append("- file names carry `_pulledYYYYMMDD`: the newest pull of a period wins")
    if contract.total_levels:
        lines.append(
            f"- total and subtotal rows ({' / '.join(contract.total_markers)}) are dropped and reconciled"
            f" with their detail rows (levels: {', '.join(f'`{t}`' for t in contract.total_levels)})"
        )
    if contract.allow_negative:
        lines.append(f"- may be negative: {', '.join(f'`{c}`' for c in sorted(contract.allow_negative))}")
    lines += ["", "| header | column | type | notes |", "| --- | --- | --- | --- |"]
    lines += [_column_row(col, described) for col in contract.columns]
    for derived in contract.derived:
        note = described.get(derived.name, "") or f"derived from `{derived.source_column}`"
        lines.append(f"| (derived) | `{derived.name}` | {derived.type} | {_cell(note)} |")
    return [*lines, ""]


def render_sources_doc() -> str:
    descriptions = _descriptions()
    lines = [HEADER]
    for source, contract in load_contracts().items():
        lines += _source_section(contract, descriptions.get(source, {}))
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/sources.md is out of date")
    args = parser.parse_args(argv)
    text = render_sources_doc()
    if args.check:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run `python -m jd_pipeline.contracts.docs`", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
