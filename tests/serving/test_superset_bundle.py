"""The Superset bundle in git is what `bi/superset/build_assets.py` writes from the dbt manifest:
every published mart has its dataset, with the columns and Chinese labels of its yml."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from jd_pipeline.config import REPO_ROOT

BUNDLE = REPO_ROOT / "bi" / "superset" / "assets"


def _build_assets():
    spec = importlib.util.spec_from_file_location(
        "build_assets", REPO_ROOT / "bi" / "superset" / "build_assets.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))}


def test_committed_bundle_is_what_the_manifest_gives(tmp_path: Path) -> None:
    written = _build_assets().write_bundle(tmp_path / "assets")
    fresh, committed = _files(tmp_path / "assets"), _files(BUNDLE)
    assert written == len(fresh) > 0
    assert sorted(fresh) == sorted(committed), "run bi/superset/build_assets.py and commit bi/superset/assets"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"stale in bi/superset/assets (run bi/superset/build_assets.py): {stale}"


def test_every_published_mart_has_a_dataset() -> None:
    import json

    from jd_pipeline.runtime.dbt_docs import MANIFEST_PATH

    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    marts = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == "marts"
    }
    datasets = {p.stem for p in (BUNDLE / "datasets" / "jd_serving_PostgreSQL").glob("*.yaml")}
    assert "fct_customer_monthly" in marts
    assert datasets == marts
