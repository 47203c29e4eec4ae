from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JD_BUYER_SALT", "test-salt")
