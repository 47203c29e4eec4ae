"""The versioned suite files: one per raw source, valid GX 1.x, in sync with their generator."""

from __future__ import annotations

import importlib.util
import json

from great_expectations.core import ExpectationSuite

from jd_pipeline.config import GX_DIR
from jd_pipeline.contracts import load_contracts
from jd_pipeline.quality.gx_runner import available_suites, load_suite_spec


def _builder():
    spec = importlib.util.spec_from_file_location("build_suites", GX_DIR / "build_suites.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_one_suite_per_raw_source() -> None:
    assert available_suites() == sorted(load_contracts())


def test_suites_are_valid_gx_suites() -> None:
    suites = available_suites()
    assert suites
    for source in suites:
        spec = load_suite_spec(source)
        suite = ExpectationSuite(name=spec.suite["name"], expectations=spec.suite["expectations"])
        assert len(suite.expectations) + 1 == spec.expectation_count > 15
        assert set(spec.column_types) >= {"_load_id", "_brand", "_period", "_row_number"}
        assert spec.meta["period_kind"] in ("daily", "monthly", "quarterly", "yearly")


def test_suite_files_match_their_generator() -> None:
    """Edit rules in great_expectations/build_suites.py and regenerate; never diverge silently."""
    builder = _builder()
    for source, contract in load_contracts().items():
        on_disk = json.loads((GX_DIR / "suites" / f"{source}.json").read_text(encoding="utf-8"))
        assert on_disk == json.loads(json.dumps(builder.build_suite(contract), ensure_ascii=False)), source


def test_business_value_sets_present() -> None:
    ads = {
        e["kwargs"].get("column"): e
        for e in load_suite_spec("jd_ads").suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert {"快车", "购物触点", "京速推", "京东直投"} <= set(ads["product_line"]["kwargs"]["value_set"])
    opex = {
        e["kwargs"].get("column"): e
        for e in load_suite_spec("fin_opex_actuals").suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert opex["currency"]["kwargs"]["value_set"] == ["CNY"]


def test_column_types_check_catches_a_drifted_dtype() -> None:
    import numpy as np
    import pandas as pd

    from jd_pipeline.quality.gx_runner import COLUMN_TYPES_CHECK, column_type_failures

    spec = load_suite_spec("jd_ads")
    assert spec.column_types["cost"] == "float64" and spec.column_types["date_day"] == "datetime64"

    def frame(**overrides: object) -> pd.DataFrame:
        values = {
            "str": pd.Series(["a", "b"], dtype="str"),
            "int64": pd.Series([1, 2], dtype="int64"),
            "int32": pd.Series([1, 2], dtype="int32"),
            "float64": pd.Series([1.5, 2.0]),
            "datetime64": pd.Series(pd.to_datetime(["2026-03-01", "2026-03-02"])),
        }
        df = pd.DataFrame({c: values[t] for c, t in spec.column_types.items()})
        for column, series in overrides.items():
            df[column] = series
        return df

    assert column_type_failures(frame(), spec) == []
    # an all-NULL column comes back as object: its (absent) values are of any type
    assert column_type_failures(frame(sku_id=pd.Series([None, None], dtype=object)), spec) == []
    failures = column_type_failures(
        frame(cost=pd.Series(["1.5", "2"], dtype="str"), date_day=pd.Series([np.int64(1), np.int64(2)])), spec
    )
    assert [f["expectation"] for f in failures] == [COLUMN_TYPES_CHECK]
    assert (
        failures[0]["observed"] == {"cost": "str", "date_day": "int64"}
        and failures[0]["severity"] == "critical"
    )
    mixed = column_type_failures(frame(sku_id=pd.Series(["a", 3], dtype=object)), spec)
    assert mixed[0]["observed"] == {"sku_id": "object"}
