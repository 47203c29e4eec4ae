"""Report inputs are declared once, in the dbt exposures, and the Dagster assets read them; the KPI
table headline_daily is a dbt model whose asset depends on its refs and the quality gate."""

from __future__ import annotations

import json

import dagster as dg
import pytest


def MARTS(*names: str) -> set[dg.AssetKey]:
    return {dg.AssetKey(["marts", n]) for n in names}


def _deps(asset: dg.AssetsDefinition) -> set[dg.AssetKey]:
    return {dep.asset_key for spec in asset.specs for dep in spec.deps}


def test_every_report_asset_reads_its_exposure() -> None:
    from jd_pipeline.defs.exposures import load_exposures
    from jd_pipeline.defs.quality import GATE_KEY
    from jd_pipeline.defs.reports import REPORT_KINDS, report_assets

    exposures = load_exposures()
    assert {a.key.path[-1] for a in report_assets} == set(REPORT_KINDS)
    for asset in report_assets:
        kind = asset.key.path[-1]
        assert _deps(asset) == {GATE_KEY, *exposures[kind].upstream}, kind
        assert asset.specs_by_key[asset.key].description == exposures[kind].description


def test_exposure_keys_are_the_dbt_assets_keys() -> None:
    from jd_pipeline.defs.exposures import exposure

    # a mart, an intermediate model and the forecast source (a Python asset's table, keyed by its meta)
    assert MARTS(
        "fct_campaign_recap", "fct_sales_daily", "fct_traffic_daily", "fct_ads_daily", "dim_sku", "dim_brand"
    ) == set(exposure("campaign_recap").upstream)
    assert dg.AssetKey(["marts", "fct_demand_forecast"]) in exposure("rolling_plan").upstream


def test_flash_and_headline_read_theirs() -> None:
    from jd_pipeline.defs.alerts import ALERTS_KEY
    from jd_pipeline.defs.exposures import exposure
    from jd_pipeline.defs.flash import daily_flash
    from jd_pipeline.defs.kpi import HEADLINE_KEY
    from jd_pipeline.defs.quality import GATE_KEY
    from jd_pipeline.defs.transform import DBT_ASSETS, dbt_model_key

    assert _deps(daily_flash) == {GATE_KEY, ALERTS_KEY, *exposure("daily_flash").upstream}
    assert dbt_model_key("headline_daily") == HEADLINE_KEY
    [step] = [a for a in DBT_ASSETS if HEADLINE_KEY in a.keys]
    assert step.op.name == "dbt_after_gate" and step.keys == {HEADLINE_KEY}
    assert step.specs_by_key[HEADLINE_KEY].group_name == "kpi"
    assert {dep.asset_key for dep in step.specs_by_key[HEADLINE_KEY].deps} == {
        GATE_KEY,
        *MARTS("fct_sales_daily", "fct_ads_daily", "fct_traffic_daily", "fct_opex_monthly"),
        dg.AssetKey(["intermediate", "int_sales_plan__versions"]),
    }


def test_a_missing_exposure_is_a_clear_error(tmp_path) -> None:
    from jd_pipeline.defs.exposures import ExposureError, exposure, load_exposures
    from jd_pipeline.defs.project import MANIFEST_PATH

    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    manifest["exposures"] = {k: v for k, v in manifest["exposures"].items() if not k.endswith(".opex")}
    trimmed = tmp_path / "manifest.json"
    trimmed.write_text(json.dumps(manifest), encoding="utf-8")
    assert "opex" not in load_exposures(trimmed)
    with pytest.raises(ExposureError, match="exposures.yml: no exposure named 'no_such_report'"):
        exposure("no_such_report")
