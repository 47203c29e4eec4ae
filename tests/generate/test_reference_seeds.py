"""The generator's reference lists state the same facts as the dbt seeds the marts map with.

The generator keeps its own lists (their order drives its random draws: reading them from the
seeds could change the data a seed generates); these tests keep the two from drifting apart.
"""

from __future__ import annotations

import csv

from jd_pipeline.config import DBT_PROJECT_DIR
from jd_pipeline.generate import reference as ref


def _seed(name: str) -> list[dict[str, str]]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_chart_of_accounts_matches_the_seeds() -> None:
    type_names = {r["cost_type"]: r["cost_type_name_cn"] for r in _seed("cost_types")}
    seeded = {r["account_code"]: (r["account_name"], r["cost_type"]) for r in _seed("account_cost_type")}
    assert {code: (name, cost_type) for code, (name, cost_type, _) in ref.CHART_OF_ACCOUNTS.items()} == seeded
    assert {cost_type: cn for _, cost_type, cn in ref.CHART_OF_ACCOUNTS.values()} == type_names


def test_cost_centers_match_the_seed() -> None:
    assert ref.COST_CENTERS == {r["cost_center"]: r["cost_center_raw"] for r in _seed("cost_center_map")}


def test_product_line_names_are_mapped_by_the_seed() -> None:
    seeded = {r["product_line_raw"]: r["product_line"] for r in _seed("product_line_map")}
    assert ref.PRODUCT_LINE_NAMES.items() <= seeded.items()
    assert set(ref.PRODUCT_LINES) == set(seeded.values())
