"""Issue 22 (2): a near-empty day of a daily source, against its recent volume, is held (nothing
of it loaded, what was loaded stays as it was) with a blocking check naming file and figures; one
command accepts it (recorded in the manifest); a normal day is not held; a missing day is shown."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from jd_pipeline.ingest.plausibility import ACCEPT_NOTE, accept
from jd_pipeline.runtime.catch_up import expected_daily
from tests.extract_files import write_csv
from tests.ingest.helpers import SALT, set_mtime
from tests.ingest.samples import POP_HEADERS, POP_ROWS

HISTORY = [f"2026-03-{d:02d}" for d in range(1, 11)]  # ten days of 20 orders: median 20 rows
LOW_DAY, NEXT_DAY = "2026-03-11", "2026-03-12"


def _orders(day: str, n: int) -> list[list]:
    """n one-line orders of 2 × ¥99.00 (gmv 198.00 each) placed on `day`."""
    rows = []
    for i in range(n):
        r = copy.deepcopy(POP_ROWS[1])
        r[0], r[3], r[5], r[6] = f"{day.replace('-', '')}{i:04d}", "2", f"{day} 10:00:00", "99.00"
        r[7:12] = ["198.00", "198.00", "198.00", "0", "0"]
        r[20], r[22] = f"{day} 10:01:00", f"{day} 12:00:00"
        rows.append(r)
    return rows


def _deliver(landing: Path, day: str, n: int, name: str = "orders.csv", brand: str = "acme") -> str:
    relpath = f"jd_pop_orders/{brand}/{day}/{name}"
    mtime = (
        1_700_000_000
        + (date.fromisoformat(day) - date(2026, 3, 1)).days * 86_400
        + (100 if name != "orders.csv" else 0)
    )
    set_mtime(write_csv(landing, relpath, POP_HEADERS, _orders(day, n)), mtime)
    return relpath


def _load(conn, landing: Path, start: str, end: str | None = None):
    return load_partition_range(conn, get_contract("jd_pop_orders"), start, end or start, landing, salt=SALT)


def _statuses(summary) -> list[str]:
    return [f.status for f in summary.files if f.status != "skipped"]


def _per_day(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT _period, count(*) FROM raw.jd_pop_orders GROUP BY 1").fetchall())


def _history(landing: Path, conn, n: int = 20, brand: str = "acme") -> None:
    for day in HISTORY:
        _deliver(landing, day, n, brand=brand)
    assert _statuses(_load(conn, landing, HISTORY[0], HISTORY[-1])) == ["loaded"] * len(HISTORY)


@pytest.mark.integration
def test_a_near_empty_day_is_held_until_accepted(landing: Path, conn) -> None:
    _history(landing, conn)
    low = _deliver(landing, LOW_DAY, 1)  # 1 of a usual 20 rows: under 10 % of the median
    summary = _load(conn, landing, LOW_DAY)
    (f,) = [f for f in summary.files if f.status != "skipped"]
    assert f.status == "held"
    assert f.reason == (
        f"{low}: held: near-empty day: rows 1 against a median of 20 over the last 10 loaded days of "
        "jd_pop_orders acme (2026-03-01..2026-03-10), under 10% of it. Nothing of the day is loaded; "
        f"accept with: jd-pipeline accept {low}"
    )
    assert _per_day(conn) == {d: 20 for d in HISTORY}  # nothing of the day, the rest untouched
    _load(conn, landing, LOW_DAY)  # a re-run keeps it held
    assert conn.execute("SELECT status FROM ops.load_manifest WHERE path = ?", [low]).fetchall() == [
        ("held",)
    ]

    assert accept(conn, low) == 1
    assert _statuses(_load(conn, landing, LOW_DAY)) == ["loaded"]
    assert _per_day(conn)[LOW_DAY] == 1
    assert conn.execute(
        "SELECT status, reason, rows_loaded FROM ops.load_manifest WHERE path = ?", [low]
    ).fetchall() == [("loaded", ACCEPT_NOTE, 1)]


def test_a_normal_or_merely_quiet_day_is_not_held(landing: Path, conn) -> None:
    _history(landing, conn)
    _deliver(landing, LOW_DAY, 2)  # 10 % of the median: a quiet day (a holiday), not a near-empty one
    _deliver(landing, NEXT_DAY, 19)
    assert _statuses(_load(conn, landing, LOW_DAY, NEXT_DAY)) == ["loaded", "loaded"]
    assert _per_day(conn)[LOW_DAY] == 2 and _per_day(conn)[NEXT_DAY] == 19


def test_the_share_is_configured(landing: Path, conn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JD_HOLD_LOW_DAY", "0.5")
    _history(landing, conn)
    _deliver(landing, LOW_DAY, 9)
    (f,) = [f for f in _load(conn, landing, LOW_DAY).files if f.status != "skipped"]
    assert (
        f.status == "held"
        and "rows 9 against a median of 20 over" in f.reason
        and "under 50% of it" in f.reason
    )


@pytest.mark.integration
def test_too_short_a_history_is_not_judged_and_volume_is_per_brand(landing: Path, conn) -> None:
    for day in HISTORY[:6]:  # six days: fewer than the seven needed
        _deliver(landing, day, 20)
    _deliver(landing, HISTORY[6], 1)
    assert _statuses(_load(conn, landing, HISTORY[0], HISTORY[5])) == ["loaded"] * 6
    assert _statuses(_load(conn, landing, HISTORY[6])) == ["loaded"]
    _history(landing, conn, n=2, brand="tiny")  # a small brand: 2 rows a day is its normal volume
    _deliver(landing, LOW_DAY, 2, brand="tiny")
    assert _statuses(_load(conn, landing, LOW_DAY)) == ["loaded"]


@pytest.mark.integration
def test_a_complete_redelivery_settles_a_held_day(landing: Path, conn) -> None:
    _history(landing, conn)
    low = _deliver(landing, LOW_DAY, 1)
    assert _statuses(_load(conn, landing, LOW_DAY)) == ["held"]
    full = _deliver(landing, LOW_DAY, 21, name="orders_v2.csv")  # the complete export, delivered later
    assert _statuses(_load(conn, landing, LOW_DAY)) == ["loaded"]
    assert _per_day(conn)[LOW_DAY] == 21
    status, reason = conn.execute(
        "SELECT status, reason FROM ops.load_manifest WHERE path = ?", [low]
    ).fetchone()
    assert status == "replaced" and reason.startswith(
        f"superseded while held by the newer delivery {full} (was: "
    )
    assert conn.execute("SELECT count(*) FROM ops.load_manifest WHERE status = 'held'").fetchone()[0] == 0


def test_the_daily_sources_come_from_the_contracts() -> None:
    assert expected_daily() == {
        "pop": (("jd_pop_orders", None), ("jd_sz_sku", "pop"), ("jd_sz_traffic", "pop")),
        "self": (
            ("jd_sz_sku", "self"),
            ("jd_sz_traffic", "self"),
            ("jd_vc_inventory", None),
            ("jd_vc_sales", None),
        ),
        "any": (("jd_ads", None),),
    }


@pytest.mark.integration
def test_the_blocking_check_names_the_day_status_shows_it_and_the_cli_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    data = tmp_path / "data"
    landing = data / "landing"
    monkeypatch.setenv("JD_DATA_DIR", str(data))
    monkeypatch.setenv("JD_PARTITIONS_START", "2026-01-01")
    from jd_pipeline import cli
    from jd_pipeline.config import get_settings
    from jd_pipeline.defs.ingest import HELD_CHECK, ingest_assets
    from jd_pipeline.defs.resources import WarehouseResource
    from jd_pipeline.ingest.landing import business_today
    from jd_pipeline.runtime.status import collect_status, format_status

    for day in HISTORY:
        _deliver(landing, day, 20)
    db = get_settings().warehouse_db
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as conn:
        _load(conn, landing, HISTORY[0], HISTORY[-1])
    low = _deliver(landing, LOW_DAY, 1)
    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "jd_pop_orders"]))

    def run() -> dg.AssetCheckEvaluation:
        result = dg.materialize(
            [asset],
            partition_key=LOW_DAY,
            instance=dg.DagsterInstance.ephemeral(),
            resources={"warehouse": WarehouseResource()},
            raise_on_error=False,
        )
        (evaluation,) = result.get_asset_check_evaluations()
        assert evaluation.check_name == HELD_CHECK
        return evaluation

    failed = run()
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    held = failed.metadata["held_files"].value
    assert list(held) == [low] and "rows 1 against a median of 20 over" in held[low]

    text = format_status(collect_status(get_settings()))
    assert "Held deliveries, not loaded until accepted" in text and held[low] in text
    yesterday = business_today() - timedelta(days=1)
    assert (
        f"  jd_pop_orders acme: {(yesterday - date(2026, 3, 11)).days + 1} day(s): 2026-03-11..{yesterday}"
        in text
    )

    assert cli.main(["accept", low]) == 0
    assert "accepted " + low in capsys.readouterr().out
    assert run().passed
    with duckdb.connect(str(db), read_only=True) as conn:
        assert _per_day(conn)[LOW_DAY] == 1
        assert (
            conn.execute("SELECT reason FROM ops.load_manifest WHERE path = ?", [low]).fetchone()[0]
            == ACCEPT_NOTE
        )
    assert "Held deliveries" not in format_status(collect_status(get_settings()))
