"""kpi.headline_daily (the dbt model models/kpi/headline_daily.sql) on hand-made marts: MTD/QTD/YTD
achievement vs the prorated current plan, ROI, conversion and the OPEX ratio over months with ledger
actuals, worked out by hand; a window rebuilt incrementally equals the whole build."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from jd_pipeline.reporting.headline import HEADLINE_TABLE, headline_metadata, latest_headline
from tests.dbt.support import run_dbt

FIXTURE = """
create schema marts; create schema intermediate;
create table marts.fct_sales_daily as select * from (values
  (date '2026-01-15', 'b', 'pop', 'K1', 1::bigint, 3100.00::decimal(18,2), 3000.00::decimal(18,2), 1::bigint),
  (date '2026-02-10', 'b', 'pop', 'K1', 1, 1000.00, 900.00, 1),
  (date '2026-02-14', 'b', 'self', 'K2', 1, 400.00, 400.00, 1)
) t(date_day, brand, store_type, sku_id, units, gmv, net_sales, orders);
create table intermediate.int_sales_plan__versions as select * from (values
  ('b', date '2026-01-01', 3100.00::decimal(18,2), true), ('b', date '2026-02-01', 2800.00, true),
  ('b', date '2026-02-01', 9999.00, false)
) t(brand, month_start, target_gmv, is_current);
create table marts.fct_ads_daily as select * from (values
  (date '2026-02-10', 'b', 100.00::decimal(18,2), 500.00::decimal(18,2)),
  (date '2026-02-14', 'b', 100.00, 100.00)
) t(date_day, brand, cost, total_order_amount);
create table marts.fct_traffic_daily as select * from (values
  (date '2026-02-14', 'b', 200::bigint, 10::bigint), (date '2026-02-14', 'b', 300, 5)
) t(date_day, brand, visitors, deal_buyers);
create table marts.fct_opex_monthly as select * from (values
  ('b', date '2026-01-01', 'pop', 'ads', 600.00::decimal(18,2)), ('b', date '2026-02-01', 'pop', 'ads', 0.00)
) t(brand, month_start, cost_center, cost_type, actual);
"""


def _rows(conn: duckdb.DuckDBPyConnection) -> dict[date, dict]:
    cur = conn.execute(f"select * from {HEADLINE_TABLE} order by date_day")
    names = [d[0] for d in cur.description]
    return {r["date_day"]: r for r in (dict(zip(names, v)) for v in cur.fetchall())}


def _build(data_dir: Path, window: tuple[str, str] | None) -> None:
    lo, hi = window or ("", "")
    run_dbt(
        data_dir, "build", "--select", "headline_daily", env={"JD_DBT_MIN_DATE": lo, "JD_DBT_MAX_DATE": hi}
    )


def test_headline_by_hand(tmp_path) -> None:
    db = tmp_path / "warehouse" / "warehouse.duckdb"
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as conn:
        conn.execute(FIXTURE)
    _build(tmp_path, None)  # no window: every day, the table created
    with duckdb.connect(str(db), read_only=True) as conn:
        whole = _rows(conn)
    assert sorted(whole) == [date(2026, 1, 15), date(2026, 2, 10), date(2026, 2, 14)]
    _build(tmp_path, ("2026-02-01", "2026-02-28"))  # the window deleted and recomputed
    with duckdb.connect(str(db), read_only=True) as conn:
        row = _rows(conn)
        in_window = conn.execute(
            f"select count(*) from {HEADLINE_TABLE} where date_day between '2026-02-01' and '2026-02-28'"
        ).fetchone()[0]
        latest = latest_headline(conn, date(2026, 2, 28))
    assert in_window == 2 and row == whole
    d = row[date(2026, 2, 14)]
    assert float(d["gmv"]) == 400 and float(d["gmv_self"]) == 400 and float(d["net_sales"]) == 400
    assert float(d["mtd_gmv"]) == 1400 and float(d["ytd_gmv"]) == 4500
    # Feb plan 2800 prorated to the 14th of 28 days = 1400; Q1 and YTD = Jan 3100 + 1400 = 4500
    assert float(d["plan_mtd"]) == pytest.approx(1400) and d["mtd_achievement"] == pytest.approx(1.0)
    assert float(d["plan_qtd"]) == pytest.approx(4500) and d["qtd_achievement"] == pytest.approx(1.0)
    assert d["ytd_achievement"] == pytest.approx(1.0)
    assert d["ads_roi"] == pytest.approx(1.0) and d["mtd_ads_roi"] == pytest.approx(3.0)
    assert d["conversion"] == pytest.approx(15 / 500)
    # only January has ledger actuals: 600 / January net sales 3000
    assert d["opex_ratio_ytd"] == pytest.approx(0.2)
    assert [r["date_day"] for r in latest] == [date(2026, 2, 14)]
    meta = headline_metadata(latest)
    assert meta["headline"].value.records[0].data["mtd_achievement"] == pytest.approx(1.0)
    assert "MTD" in meta["headline_markdown"].value
