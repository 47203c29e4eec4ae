"""Every source of sources.md loads from a hand-made fixture in its real format, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from jd_pipeline.contracts import get_contract, load_contracts
from jd_pipeline.ingest import load_partition_range
from tests.ingest.helpers import SALT
from tests.ingest.samples import SAMPLES


def test_every_contract_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(load_contracts())


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_source_loads_exactly(source: str, landing: Path, conn) -> None:
    expected = SAMPLES[source](landing)
    summary = load_partition_range(
        conn, get_contract(source), expected.start, expected.end, landing, salt=SALT
    )

    assert summary.rejected == {}
    assert [f.status for f in summary.files] == ["loaded"] * len(summary.files)
    for f in summary.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
    quarantined = conn.execute("SELECT row_number, reason FROM ops.quarantine_rows").fetchall()
    assert quarantined == []
    assert summary.rows_loaded == expected.rows
    assert summary.rows_total == expected.totals
    table = f"raw.{source}"
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == expected.rows
    for column, value in expected.sums.items():
        got = conn.execute(f"SELECT sum({column}) FROM {table}").fetchone()[0]
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, column
    for sql, value in expected.checks:
        got = conn.execute(sql.replace(" FROM t", f" FROM {table} t")).fetchone()[0]
        assert got == (pytest.approx(value) if isinstance(value, float) else value), sql
    totals = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE total_value <> detail_value) FROM ops.file_totals"
    ).fetchone()
    assert totals == (expected.file_totals, 0)
    manifest = conn.execute(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_total) FROM ops.load_manifest "
        "WHERE status = 'loaded'"
    ).fetchone()
    assert manifest == (expected.rows, expected.rows, 0, expected.totals)
