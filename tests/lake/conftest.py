from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JD_BUYER_SALT", "test-salt")
    monkeypatch.delenv("JD_RAW_LAKE_URL", raising=False)


@pytest.fixture
def lake_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The lake switched on, in a local folder."""
    path = tmp_path / "lake"
    monkeypatch.setenv("JD_RAW_LAKE_URL", str(path))
    return path


@pytest.fixture
def memory_lake(monkeypatch: pytest.MonkeyPatch):
    """The lake switched on at `memory://` (fsspec's in-memory object store), emptied after the test."""
    import fsspec

    fs = fsspec.filesystem("memory")
    url = "memory://jd-lake-test"
    monkeypatch.setenv("JD_RAW_LAKE_URL", url)
    yield url, fs
    if fs.exists("/jd-lake-test"):
        fs.rm("/jd-lake-test", recursive=True)
