"""Issue 22 (2): a re-delivery that shrinks its period a lot is held; the previous delivery stays
live; a blocking check names the file and figures; one command accepts it (recorded)."""

from __future__ import annotations

import copy
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from jd_pipeline.ingest.plausibility import ACCEPT_NOTE, accept
from tests.extract_files import write_csv
from tests.ingest.helpers import SALT, set_mtime
from tests.ingest.samples import POP_HEADERS, POP_ROWS

DAY = "2026-03-01"
FIRST, SECOND = f"jd_pop_orders/acme/{DAY}/orders.csv", f"jd_pop_orders/acme/{DAY}/orders_v2.csv"


def _orders(n: int) -> list[list]:
    """n one-line orders of 2 × ¥99.00 (gmv 198.00 each)."""
    rows = []
    for i in range(n):
        r = copy.deepcopy(POP_ROWS[1])
        r[0], r[3], r[6], r[7:12] = str(600000 + i), "2", "99.00", ["198.00", "198.00", "198.00", "0", "0"]
        rows.append(r)
    return rows


def _deliver(landing: Path, relpath: str, n: int, mtime: int) -> None:
    set_mtime(write_csv(landing, relpath, POP_HEADERS, _orders(n)), mtime)


def _load(conn, landing: Path):
    return load_partition_range(conn, get_contract("jd_pop_orders"), DAY, DAY, landing, salt=SALT)


def _state(conn) -> tuple:
    return conn.execute("SELECT count(*), sum(order_amount) FROM raw.jd_pop_orders").fetchone()


@pytest.mark.integration
def test_a_shrinking_redelivery_is_held_until_accepted(landing: Path, conn) -> None:
    _deliver(landing, FIRST, 20, 1_700_000_000)
    _load(conn, landing)
    _deliver(landing, SECOND, 4, 1_700_000_100)  # cut short: 4 of 20 orders
    summary = _load(conn, landing)
    (f,) = [f for f in summary.files if f.status != "skipped"]
    assert f.status == "held"
    assert f.reason == (
        f"{SECOND}: held: shrinks its period by more than 50% against the delivery it replaces ({FIRST}): "
        "rows 20 -> 4 (-80.0%); 京东价 total 1,980.00 -> 396.00 (-80.0%); 订单金额 total 3,960.00 -> 792.00 (-80.0%); "
        "结算金额 total 3,960.00 -> 792.00 (-80.0%); 应付金额 total 3,960.00 -> 792.00 (-80.0%). The previous "
        f"delivery stays live; accept with: jd-pipeline accept {SECOND}"
    )
    assert _state(conn) == (20, 3960)  # the previous delivery stays live
    _load(conn, landing)  # a re-run keeps it held
    assert _state(conn) == (20, 3960)
    assert conn.execute("SELECT status FROM ops.load_manifest WHERE path = ?", [SECOND]).fetchall() == [
        ("held",)
    ]

    assert accept(conn, SECOND) == 1
    assert accept(conn, SECOND) == 0  # nothing held any more
    _load(conn, landing)
    assert _state(conn) == (4, 792)
    rows = conn.execute("SELECT status, reason FROM ops.load_manifest WHERE path = ? ", [SECOND]).fetchall()
    assert rows == [("loaded", ACCEPT_NOTE)]
    assert conn.execute("SELECT status FROM ops.load_manifest WHERE path = ?", [FIRST]).fetchall() == [
        ("replaced",)
    ]


def test_a_redelivery_within_the_share_replaces_as_usual(landing: Path, conn) -> None:
    _deliver(landing, FIRST, 20, 1_700_000_000)
    _load(conn, landing)
    _deliver(landing, SECOND, 12, 1_700_000_100)  # -40 %: under the default 50 %
    assert [f.status for f in _load(conn, landing).files if f.status != "skipped"] == ["loaded"]
    assert _state(conn) == (12, 2376)


def test_the_share_is_configured(landing: Path, conn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JD_HOLD_SHRINK", "0.3")
    _deliver(landing, FIRST, 20, 1_700_000_000)
    _load(conn, landing)
    _deliver(landing, SECOND, 12, 1_700_000_100)
    (f,) = [f for f in _load(conn, landing).files if f.status != "skipped"]
    assert f.status == "held" and "more than 30%" in f.reason and "rows 20 -> 12 (-40.0%)" in f.reason


@pytest.mark.integration
def test_the_blocking_check_names_the_held_file_and_the_cli_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    data = tmp_path / "data"
    landing = data / "landing"
    monkeypatch.setenv("JD_DATA_DIR", str(data))
    _deliver(landing, FIRST, 20, 1_700_000_000)
    from jd_pipeline import cli
    from jd_pipeline.defs.ingest import HELD_CHECK, ingest_assets
    from jd_pipeline.defs.resources import WarehouseResource

    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "jd_pop_orders"]))

    def run() -> dg.AssetCheckEvaluation:
        result = dg.materialize(
            [asset],
            partition_key=DAY,
            instance=dg.DagsterInstance.ephemeral(),
            resources={"warehouse": WarehouseResource()},
            raise_on_error=False,
        )
        (evaluation,) = result.get_asset_check_evaluations()
        assert evaluation.check_name == HELD_CHECK
        return evaluation

    assert run().passed
    _deliver(landing, SECOND, 4, 1_700_000_100)
    failed = run()
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    held = failed.metadata["held_files"].value
    assert list(held) == [SECOND] and "rows 20 -> 4 (-80.0%)" in held[SECOND]
    assert not run().passed  # still held on the next run

    assert cli.main(["accept", SECOND]) == 0
    assert "accepted " + SECOND in capsys.readouterr().out
    assert cli.main(["accept", SECOND]) == 2
    assert run().passed
    with duckdb.connect(str(data / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        assert _state(conn) == (4, 792)
