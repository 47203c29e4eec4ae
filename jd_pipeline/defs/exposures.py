"""What each report and KPI asset reads, declared once: the dbt exposures (`dbt_project/models/exposures.yml`).

dbt docs show an exposure as a downstream user of the models and sources it lists; the Dagster asset
named after the exposure takes its description and its upstream asset keys from the same entry
(through the parsed manifest and the project's dbt translator, so the keys are the ones the dbt
assets carry). The lineage in dbt docs and in the Dagster graph cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dagster as dg

from jd_pipeline.defs.project import MANIFEST_PATH
from jd_pipeline.defs.transform import TRANSLATOR

EXPOSURES_YML = "dbt_project/models/exposures.yml"


class ExposureError(ValueError):
    """exposures.yml lacks an entry an asset needs, or an entry lists nothing."""


@dataclass(frozen=True)
class Exposure:
    name: str
    description: str
    upstream: tuple[dg.AssetKey, ...]  # the models' and sources' asset keys, in exposures.yml order


def _exposure(props: dict, nodes: dict[str, dict]) -> Exposure:
    upstream = tuple(TRANSLATOR.get_asset_key(nodes[unique_id]) for unique_id in props["depends_on"]["nodes"])
    if not upstream:
        raise ExposureError(f"{EXPOSURES_YML}: exposure {props['name']} lists nothing in depends_on")
    return Exposure(
        name=props["name"],
        description=" ".join((props.get("description") or "").split()),
        upstream=upstream,
    )


@cache
def load_exposures(manifest_path: Path = MANIFEST_PATH) -> dict[str, Exposure]:
    """Every exposure of the parsed dbt project, by name (the manifest is prepared beforehand)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = {**manifest["nodes"], **manifest["sources"]}
    return {props["name"]: _exposure(props, nodes) for props in manifest["exposures"].values()}


def exposure(name: str) -> Exposure:
    exposures = load_exposures()
    if name not in exposures:
        raise ExposureError(
            f"{EXPOSURES_YML}: no exposure named {name!r}, which the asset of that name takes its "
            f"description and upstream marts from; known: {', '.join(sorted(exposures))}"
        )
    return exposures[name]
