"""The one label dictionary (dbt column `config: meta: label_zh`, `unit`) covers every published mart column."""

from __future__ import annotations

from pathlib import Path

import yaml

from jd_pipeline.reporting.labels import REPORT_ONLY, column_label, labels_from_manifest, mart_labels

MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
UNITS = {None, "元", "%", "件", "单", "人", "次", "天", "个", "行"}


def _mart_columns() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in MARTS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text("utf-8")) or {}).get("models", []) or []:
            out[model["name"]] = [c["name"] for c in model.get("columns", [])]
    assert out.get("fct_sales_daily"), f"no mart columns found under {MARTS}"
    return out


def test_every_mart_column_has_a_chinese_label_in_the_manifest() -> None:
    labels = mart_labels()
    missing = [f"{m}.{c}" for m, cols in _mart_columns().items() for c in cols if c not in labels.get(m, {})]
    assert not missing, f"columns without config.meta.label_zh: {missing}"
    bad_units = {
        f"{m}.{c}": lab.unit for m, cols in labels.items() for c, lab in cols.items() if lab.unit not in UNITS
    }
    assert not bad_units, bad_units


def test_report_only_labels_do_not_shadow_a_mart_column() -> None:
    columns = {c for cols in _mart_columns().values() for c in cols}
    assert not set(REPORT_ONLY) & columns


def test_lookup_prefers_the_model_then_any_mart() -> None:
    assert column_label("actual", "fct_opex_monthly").label_zh == "实际"
    assert column_label("actual", "fct_opex_monthly").fmt == "money"
    assert column_label("actual_gmv").unit == "元"
    assert column_label("achievement_vs_plan").fmt == "pct"
    assert column_label("pop_gmv").label_zh == "POP店 GMV"


def test_manifest_reader_takes_config_meta() -> None:
    manifest = {
        "nodes": {
            "model.p.m": {
                "resource_type": "model",
                "name": "m",
                "columns": {
                    "a": {"config": {"meta": {"label_zh": "甲", "unit": "元"}}, "meta": {}},
                    "b": {"meta": {"label_zh": "乙"}},
                    "c": {"meta": {}},
                },
            }
        }
    }
    labels = labels_from_manifest(manifest)["m"]
    assert labels["a"].label_zh == "甲" and labels["a"].unit == "元" and labels["b"].label_zh == "乙"
    assert "c" not in labels
