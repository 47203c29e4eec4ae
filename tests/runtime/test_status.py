"""`jd-pipeline status`: newest loaded period, rejected files, last publish."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from jd_pipeline.config import get_settings
from jd_pipeline.runtime.status import collect_status, print_status
from jd_pipeline.serving.duckdb_publish import publish_serving


def test_status_from_working_warehouse(working_warehouse: Path) -> None:
    report = collect_status(get_settings())
    assert report.read_from == str(working_warehouse)
    rows = {(r.source, r.brand): r for r in report.rows}
    assert rows[("jd_pop_orders", "acme")].newest_period == "2026-11-26"
    assert rows[("jd_pop_orders", "acme")].files_loaded == 2
    assert rows[("jd_ads", "acme")].files_rejected == 1
    assert rows[("jd_ads", "acme")].newest_period is None
    assert rows[("jd_vc_sales", "beta")].newest_period == "2026-11-26"
    assert report.published_at is None
    out = io.StringIO()
    assert print_status(get_settings(), out=out) == 0
    text = out.getvalue()
    assert "jd_pop_orders" in text and "unknown 产品线 外星广告" in text
    assert "Last publish: never" in text


@pytest.mark.integration
def test_status_shows_last_publish_and_reads_served_copy_when_locked(working_warehouse: Path) -> None:
    settings = get_settings()
    result = publish_serving(settings)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                f"import duckdb, sys; c = duckdb.connect({str(working_warehouse)!r}); "
                "print('locked', flush=True); sys.stdin.readline()"
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        report = collect_status(settings)
    finally:
        holder.communicate("\n", timeout=30)
    assert report.read_from == str(settings.serving_db)
    assert "served copy" in report.note
    assert report.published_at == result.published_at
    assert {(r.source, r.brand) for r in report.rows} >= {("jd_pop_orders", "acme"), ("jd_ads", "acme")}


def test_status_without_anything(data_dir: Path) -> None:
    out = io.StringIO()
    assert print_status(get_settings(), out=out) == 0
    assert "not available" in out.getvalue()
