"""Unit keys and the lake setting, without a warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from jd_pipeline.config import get_settings, normalize_lake_url
from jd_pipeline.lake import LakeUnit, duckdb_glob, source_url


def test_a_unit_key_percent_encodes_every_segment() -> None:
    unit = LakeUnit("fin_sales_plan", "品牌 A/B", None, "2026", "销售计划 v2%.xlsx")
    assert unit.relpath(per_file=True) == (
        "fin_sales_plan/brand=%E5%93%81%E7%89%8C%20A%2FB/store=_none_/period=2026/"
        "file=%E9%94%80%E5%94%AE%E8%AE%A1%E5%88%92%20v2%25.xlsx/part.parquet"
    )
    # a source replaced per period has no file segment, whatever the file was called
    assert LakeUnit("jd_sz_sku", "acme", "pop", "2026-03-01").relpath(per_file=False) == (
        "jd_sz_sku/brand=acme/store=pop/period=2026-03-01/part.parquet"
    )
    assert unit.describe() == "fin_sales_plan 品牌 A/B/-/2026/销售计划 v2%.xlsx"


def test_where_a_reader_reads_a_source() -> None:
    assert source_url("s3://bucket/lake/", "jd_ads") == "s3://bucket/lake/jd_ads"
    assert duckdb_glob("/srv/lake", "jd_ads") == "/srv/lake/jd_ads/**/*.parquet"


def test_the_lake_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().raw_lake_url is None  # off by default (tests/lake/conftest.py unsets it)
    assert normalize_lake_url("  ") is None
    assert normalize_lake_url("s3://bucket/lake/") == "s3://bucket/lake"
    assert normalize_lake_url("memory://lake") == "memory://lake"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JD_RAW_LAKE_URL", "lake")
    assert get_settings().raw_lake_url == str(tmp_path.resolve() / "lake")
