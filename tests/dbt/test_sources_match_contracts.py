"""The dbt raw sources describe exactly the tables the contract-driven loader creates.

The contract YAMLs are the one source of truth for names, order and types; `_raw__sources.yml` adds
only the descriptions. This test fails the moment the two drift apart.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from jd_pipeline.contracts import load_contracts

SOURCES_YML = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging" / "_raw__sources.yml"
META = [
    ("_load_id", "VARCHAR"),
    ("_brand", "VARCHAR"),
    ("_store", "VARCHAR"),
    ("_period", "VARCHAR"),
    ("_row_number", "INTEGER"),
]


def _dbt_raw_tables() -> dict[str, list[tuple[str, str]]]:
    doc = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
    (raw,) = [s for s in doc["sources"] if s["name"] == "raw"]
    return {t["name"]: [(c["name"], c["data_type"].upper()) for c in t["columns"]] for t in raw["tables"]}


def test_every_contract_is_a_dbt_source_and_nothing_else():
    assert set(_dbt_raw_tables()) == set(load_contracts())


def test_dbt_source_columns_equal_the_loader_table_columns():
    tables = _dbt_raw_tables()
    for source, contract in load_contracts().items():
        assert tables[source] == META + contract.output_columns(), source


def test_every_dbt_source_column_is_described():
    doc = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
    tables = doc["sources"][0]["tables"]
    assert {t["name"] for t in tables} == set(load_contracts())
    for table in tables:
        assert table["columns"], table["name"]
        for column in table["columns"]:
            assert column.get("description"), f"{table['name']}.{column['name']}"
