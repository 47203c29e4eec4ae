"""`jd-pipeline lake-sync` back-fills the lake of an existing warehouse; the ingest asset reports
what its sync did."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from jd_pipeline.cli import main
from jd_pipeline.contracts import load_contracts
from jd_pipeline.lake import Lake
from tests.ingest.samples import SAMPLES
from tests.lake.helpers import assert_lake_equals_raw, load, write_ads

BACKFILLED = ("jd_ads", "jd_pop_orders", "fin_sales_plan")


def _warehouse_without_lake(data_dir: Path, sources: tuple[str, ...] = BACKFILLED) -> dict[str, int]:
    """A warehouse loaded with the lake off: rows per source."""
    landing = data_dir / "landing"
    rows = {}
    with duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb")) as conn:
        for source in sources:
            expected = SAMPLES[source](landing)
            summary = load(conn, source, expected.start, expected.end, landing)
            assert summary.lake is None
            rows[source] = expected.rows
    return rows


def test_lake_sync_back_fills_an_existing_warehouse(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _warehouse_without_lake(data_dir)
    lake = tmp_path / "lake"
    monkeypatch.setenv("JD_RAW_LAKE_URL", str(lake))
    # a temporary object a killed writer left behind is swept
    stale = lake / "jd_ads/brand=acme/store=_none_/period=2026-03-01/_tmp-dead.parquet.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PAR1 half")

    assert main(["lake-sync"]) == 0
    out = capsys.readouterr().out
    for source in load_contracts():  # a progress line per source, written or not
        assert f"  {source}: " in out
    assert "  jd_ads: 1 unit(s) written (2 rows), 0 removed, 1 in the lake" in out
    assert "  fin_sales_plan: 2 unit(s) written (3 rows), 0 removed, 2 in the lake" in out
    assert "lake-sync: 4 unit(s) written, 0 removed, 4 in the lake" in out
    assert not stale.exists()
    with duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb")) as conn:
        for source, n in rows.items():
            assert assert_lake_equals_raw(conn, str(lake), source) == n

    assert main(["lake-sync"]) == 0  # idempotent: nothing to write the second time
    assert "lake-sync: 0 unit(s) written, 0 removed, 4 in the lake" in capsys.readouterr().out


def test_lake_sync_says_what_is_wrong(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lake-sync", "--url", str(tmp_path / "lake")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    _warehouse_without_lake(data_dir, ("jd_ads",))
    assert main(["lake-sync"]) == 2
    assert "JD_RAW_LAKE_URL is not set" in capsys.readouterr().err

    def broken(self, tmp: str, relpath: str) -> None:
        raise PermissionError(13, "Access Denied")

    monkeypatch.setattr(Lake, "put", broken)
    assert main(["lake-sync", "--url", str(tmp_path / "lake")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("jd-pipeline lake-sync: raw lake: writing unit jd_ads acme/-/2026-03-01 to ")
    assert "Access Denied" in err and "retries it" in err


@pytest.mark.integration
def test_the_ingest_asset_reports_its_lake_sync(data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from jd_pipeline.defs.ingest import ingest_assets
    from jd_pipeline.defs.resources import WarehouseResource

    lake = tmp_path / "lake"
    monkeypatch.setenv("JD_RAW_LAKE_URL", str(lake))
    write_ads(data_dir / "landing", "2026-03-01", "20260302")
    write_ads(data_dir / "landing", "2026-03-02", "20260303")
    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "jd_ads"]))
    result = dg.materialize(
        [asset],
        resources={"warehouse": WarehouseResource()},
        tags={
            "dagster/asset_partition_range_start": "2026-03-01",
            "dagster/asset_partition_range_end": "2026-03-02",
        },
    )
    assert result.success
    meta = result.asset_materializations_for_node(asset.node_def.name)[0].metadata
    assert meta["lake_url"].value == f"{lake}/jd_ads"
    assert (meta["lake_units_written"].value, meta["lake_units_removed"].value, meta["lake_units"].value) == (
        2,
        0,
        2,
    )
    assert meta["lake_rows_written"].value == 4


def test_no_lake_figures_when_the_lake_is_off() -> None:
    from jd_pipeline.defs.ingest import _lake_metadata
    from jd_pipeline.ingest.loader import LoadSummary

    assert _lake_metadata(LoadSummary("jd_ads")) == {}
