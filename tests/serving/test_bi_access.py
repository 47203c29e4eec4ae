"""The connection examples of docs/bi_access.md run against a published warehouse."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jd_pipeline.config import REPO_ROOT, get_settings
from jd_pipeline.serving.duckdb_publish import publish_serving

DOC = REPO_ROOT / "docs" / "bi_access.md"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def run(cmd: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JD_DATA_DIR": str(data_dir)}
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=120, cwd=str(data_dir.parent), check=False
    )


@pytest.fixture
def published(working_warehouse: Path, data_dir: Path) -> Path:
    publish_serving(get_settings())
    return data_dir


def test_doc_has_all_examples() -> None:
    python = code_blocks("python")
    assert len(python) >= 4
    text = "\n".join(python)
    for needle in ("read_only=True", "access_mode=read_only", "pd.read_parquet", "pl.read_parquet"):
        assert needle in text
    assert any("-readonly" in block for block in code_blocks("sh"))


@pytest.mark.parametrize("index", range(len(code_blocks("python"))))
def test_python_example_runs(published: Path, index: int) -> None:
    block = code_blocks("python")[index]
    result = run([sys.executable, "-c", block], published)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_read_only_example_refuses_writes(published: Path) -> None:
    block = next(b for b in code_blocks("python") if "DELETE" in b)
    result = run([sys.executable, "-c", block], published)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout and "read-only" in result.stdout


def test_sqlalchemy_read_only_connection_cannot_write(published: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    url = f"duckdb:///{published}/serving/warehouse.duckdb?access_mode=read_only"
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn, pytest.raises(DBAPIError, match="read-only"):
        conn.execute(text("CREATE TABLE marts.hack AS SELECT 1"))
    engine.dispose()


@pytest.mark.skipif(shutil.which("duckdb") is None, reason="the duckdb CLI is not installed")
def test_cli_example_runs(published: Path) -> None:
    block = code_blocks("sh")[0]
    result = run(["bash", "-c", block], published)
    assert result.returncode == 0, result.stderr
