"""The brand configuration: validated, every problem named with the file and brand."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest

from jd_pipeline.brands import BrandConfigError, check_landing_brands, load_brands

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brands.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_in_the_repo_is_valid() -> None:
    brands = load_brands(REPO / "docs" / "brands.example.yaml")
    assert brands["mybrand"].jd_brand_names == ("MYBRAND", "我的品牌")
    assert brands["mybrand"].pop_commission_rates["服装"] == Decimal("0.0800")
    assert brands["popbrand"].stores == ("pop",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("brands: []\n", "at least one brand"),
        ("brands:\n  - code: Bad-Code\n    jd_brand_names: [X]\n    stores: [pop]\n", "code must be"),
        ("brands:\n  - code: acme\n    jd_brand_names: []\n    stores: [self]\n", "jd_brand_names"),
        ("brands:\n  - code: acme\n    jd_brand_names: [A]\n    stores: [shop]\n", "stores must list"),
        ("brands:\n  - code: acme\n    jd_brand_names: [A]\n    stores: [pop]\n", "pop_commission_rates"),
        (
            "brands:\n  - code: acme\n    jd_brand_names: [A]\n    stores: [pop]\n    pop_commission_rates: {'*': 8}\n",
            "ratio in",
        ),
        (
            (
                "brands:\n  - code: acme\n    jd_brand_names: [A]\n    stores: [self]\n"
                "  - code: acme\n    jd_brand_names: [B]\n    stores: [self]\n"
            ),
            "configured twice",
        ),
        (
            "brands:\n  - code: acme\n    jd_brand_names: [A]\n    stores: [self]\n    colour: red\n",
            "unknown field",
        ),
    ],
)
def test_invalid_configurations_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BrandConfigError, match=message) as caught:
        load_brands(write(tmp_path, text))
    assert "brands.yaml" in str(caught.value)


def test_missing_file_points_to_the_example(tmp_path: Path) -> None:
    with pytest.raises(BrandConfigError, match="brands.example.yaml"):
        load_brands(tmp_path / "brands.yaml")


def test_unconfigured_landing_brand_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "brands:\n  - code: acme\n    jd_brand_names: [A]\n    stores: [self]\n")
    brands = load_brands(path)
    check_landing_brands(brands, {"acme"}, path)
    with pytest.raises(BrandConfigError, match="newbrand"):
        check_landing_brands(brands, {"acme", "newbrand"}, path)


def test_run_without_date_takes_yesterday_in_shanghai() -> None:
    from datetime import date, datetime

    from jd_pipeline.cli import business_yesterday

    # 17:30 UTC on Dec 1 is 01:30 on Dec 2 in Asia/Shanghai: yesterday there is Dec 1, not Nov 30
    assert business_yesterday(datetime(2026, 12, 1, 17, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert business_yesterday(datetime(2026, 12, 1, 15, 30, tzinfo=UTC)) == date(2026, 11, 30)
