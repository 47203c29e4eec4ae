"""Tiny generated datasets shared by the generator tests (session scope: generated once)."""

from __future__ import annotations

from datetime import date

import pytest

from jd_pipeline.generate import generate

CLEAN = {
    "brands": 2,
    "start": date(2026, 5, 20),
    "end": date(2026, 7, 12),
    "scale": 0.01,
    "seed": 7,
    "ads_pulls": 3,
}
FAULTY = {
    "brands": 2,
    "start": date(2026, 1, 20),
    "end": date(2026, 3, 14),
    "scale": 0.01,
    "seed": 11,
    "ads_pulls": 2,
    "faults": 0.4,
}


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("clean")
    summary = generate(root / "landing", workers=2, **CLEAN)
    return summary


@pytest.fixture(scope="session")
def faulty(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("faulty")
    return generate(root / "landing", workers=1, **FAULTY)
