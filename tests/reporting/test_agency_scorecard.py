"""fct_agency_kpi_scorecard and fct_action_plan_status on a fixture quarter worked out by hand.

Fixture (brand b1, 2026Q1, sales data to 2026-03-31):
- S1 运营, store POP. GMV达成率 w 40% target "100" (percent points → 1.0): POP gmv 1000+1000+1200 = 3200
  vs current plan 3 × 1000 = 3000 (the budget version, 2 × as much, must be ignored) → 1.0667.
  广告ROI w 20% target 4: POP 600 / 100 = 6 → 1.5 (capped; raw 1.5 exactly), self ads excluded.
  成交转化率 w 20% target 0.05: POP buyers 40 / visitors 1000 = 0.04 → 0.8.
  行动项按时完成率 w 20% target "90" → 0.9: A1 on time, A2 completed late, A3 open past due,
  A4 cancelled (excluded), A5 due in Q2 (excluded) → 1/3 → 0.3333 / 0.9 = 0.37037.
  score = 0.4 × 1.066667 + 0.2 × 1.5 + 0.2 × 0.8 + 0.2 × 0.370370 = 0.960741.
- S2 客服, store 全部. 付费流量占比 w 50% target 0.2: paid (300 + 100) / (1000 + 1000) = 0.2 → 1.0.
  客服响应时长 w 50% target 30 s, self-reported 40 s (lower is better) → 30 / 40 = 0.75.
  score = 0.5 + 0.375 = 0.875.
Year 2026 = the mean of its scored quarters (only Q1 here) → the same scores.
- S3 (2026Q2, no sales data yet): GMV达成率 cannot be measured → actual, attainment, score null (not 0).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.dbt.support import run_dbt

pytestmark = pytest.mark.dbt  # runs dbt itself (support.run_dbt)

FIXTURE_SQL = """
create schema staging; create schema intermediate; create schema marts;
create table staging.stg_tp_team_kpi__kpi_targets as
select * from (values
  ('L1','b1','2026Q1','S1','张三','运营','pop','GMV达成率',0.4,100.0,null),
  ('L1','b1','2026Q1','S1','张三','运营','pop','广告ROI',0.2,4.0,null),
  ('L1','b1','2026Q1','S1','张三','运营','pop','成交转化率',0.2,0.05,null),
  ('L1','b1','2026Q1','S1','张三','运营','pop','行动项按时完成率',0.2,90.0,null),
  ('L1','b1','2026Q1','S2','李四','客服','all','付费流量占比',0.5,0.2,null),
  ('L1','b1','2026Q1','S2','李四','客服','all','客服响应时长',0.5,30.0,40.0),
  ('L2','b1','2026Q2','S3','王五','运营','all','GMV达成率',1.0,1.0,null)
) t(load_id, brand, quarter, staff_id, staff_name, role, store_type, kpi, weight, target, self_reported);

create table staging.stg_tp_action_plan__action_snapshots as
select load_id, brand, cast(snapshot_date as date) snapshot_date, action_id, horizon,
       cast(plan_start as date) plan_start, action, owner_id, store_type, cast(due_date as date) due_date,
       status, metric, cast(target as decimal(18,4)) target, cast(current as decimal(18,4)) current
from (values
  ('P1','b1','2026-01-12','A1','30天','2026-01-01','上新','S1','pop','2026-01-15','已完成','SKU数',10,10),
  ('P1','b1','2026-01-12','A2','60天','2026-01-01','主图优化','S1','pop','2026-02-10','进行中','点击率',0.05,0.03),
  ('P1','b1','2026-01-12','A3','60天','2026-01-01','会员拉新','S1','pop','2026-03-01','未开始','会员数',500,0),
  ('P1','b1','2026-01-12','A4','90天','2026-01-01','直播','S1','pop','2026-03-10','未开始','场次',4,0),
  ('P2','b1','2026-02-09','A1','30天','2026-01-01','上新','S1','pop','2026-01-15','已完成','SKU数',10,10),
  ('P2','b1','2026-02-09','A2','60天','2026-01-01','主图优化','S1','pop','2026-02-10','进行中','点击率',0.05,0.04),
  ('P2','b1','2026-02-09','A3','60天','2026-01-01','会员拉新','S1','pop','2026-03-01','进行中','会员数',500,200),
  ('P2','b1','2026-02-09','A4','90天','2026-01-01','直播','S1','pop','2026-03-10','已取消','场次',4,0),
  ('P3','b1','2026-02-16','A2','60天','2026-01-01','主图优化','S1','pop','2026-02-10','已延期','点击率',0.05,0.045),
  ('P4','b1','2026-03-30','A1','30天','2026-01-01','上新','S1','pop','2026-01-15','已完成','SKU数',10,10),
  ('P4','b1','2026-03-30','A2','60天','2026-01-01','主图优化','S1','pop','2026-02-10','已完成','点击率',0.05,0.05),
  ('P4','b1','2026-03-30','A3','60天','2026-01-01','会员拉新','S1','pop','2026-03-01','进行中','会员数',500,400),
  ('P4','b1','2026-03-30','A4','90天','2026-01-01','直播','S1','pop','2026-03-10','已取消','场次',4,0),
  ('P4','b1','2026-03-30','A5','90天','2026-04-01','大促','S1','pop','2026-04-20','未开始','GMV',100000,0)
) t(load_id, brand, snapshot_date, action_id, horizon, plan_start, action, owner_id, store_type, due_date,
    status, metric, target, current);

create table intermediate.int_sales_plan__versions as
select brand, cast(month_start as date) month_start, store_type, category,
       cast(target_gmv as decimal(18,2)) target_gmv, 0::bigint target_units, is_budget, is_current
from (values
  ('b1','2026-01-01','pop','A',1000,false,true), ('b1','2026-02-01','pop','A',1000,false,true),
  ('b1','2026-03-01','pop','A',1000,false,true), ('b1','2026-04-01','pop','A',1000,false,true),
  ('b1','2026-01-01','pop','A',2000,true,false), ('b1','2026-02-01','pop','A',2000,true,false),
  ('b1','2026-03-01','pop','A',2000,true,false),
  ('b1','2026-01-01','self','A',1000,false,true)
) t(brand, month_start, store_type, category, target_gmv, is_budget, is_current);

create table marts.fct_sales_daily as
select cast(d as date) date_day, brand, store_type, sku_id, 1::bigint units,
       cast(gmv as decimal(18,2)) gmv, cast(gmv as decimal(18,2)) net_sales, 1::bigint orders, 1::bigint buyers
from (values ('2026-01-10','b1','pop','K1',1000), ('2026-02-10','b1','pop','K1',1000),
             ('2026-03-31','b1','pop','K1',1200), ('2026-02-10','b1','self','K2',500)
) t(d, brand, store_type, sku_id, gmv);

create table marts.fct_ads_daily as
select cast(d as date) date_day, brand, store_type, cast(cost as decimal(18,2)) cost,
       cast(amt as decimal(18,2)) total_order_amount
from (values ('2026-01-05','b1','pop',60,400), ('2026-03-05','b1','pop',40,200),
             ('2026-03-05','b1','self',50,50), ('2025-12-31','b1','pop',1000,1)
) t(d, brand, store_type, cost, amt);

create table marts.fct_traffic_daily as
select cast(d as date) date_day, brand, store_type, is_paid, visitors::bigint visitors,
       deal_buyers::bigint deal_buyers
from (values ('2026-01-05','b1','pop',true,300,10), ('2026-01-05','b1','pop',false,700,30),
             ('2026-02-05','b1','self',true,100,5), ('2026-02-05','b1','self',false,900,15)
) t(d, brand, store_type, is_paid, visitors, deal_buyers);
"""


@pytest.fixture(scope="module")
def scorecard_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("agency")
    (data_dir / "warehouse").mkdir()
    db = data_dir / "warehouse" / "warehouse.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.execute(FIXTURE_SQL)
    run_dbt(data_dir, "build", "--select", "fct_action_plan_status", "fct_agency_kpi_scorecard")
    return db


def _scores(db: Path, period: str) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "select staff_id, kpi, weight, target, actual, source, attainment, weighted_score, staff_score "
            "from marts.fct_agency_kpi_scorecard where period = ?",
            [period],
        ).fetchall()
    # the ratios are DECIMAL(18,8) in the mart: compared as floats with pytest.approx
    return {(r[0], r[1]): tuple(float(v) if isinstance(v, Decimal) else v for v in r[2:]) for r in rows}


@pytest.mark.parametrize("period", ["2026Q1", "2026"])
def test_scorecard_by_hand(scorecard_db: Path, period: str) -> None:
    s = {k: v for k, v in _scores(scorecard_db, period).items() if k[0] in ("S1", "S2")}
    assert len(s) == 6
    approx = pytest.approx
    _w, target, actual, source, att, ws, score = s[("S1", "GMV达成率")]
    assert (target, source) == (1.0, "measured")
    assert actual == approx(3200 / 3000) and att == approx(3200 / 3000) and ws == approx(0.4 * 3200 / 3000)
    assert s[("S1", "广告ROI")][2] == approx(6.0) and s[("S1", "广告ROI")][4] == approx(1.5)
    assert s[("S1", "成交转化率")][2] == approx(0.04) and s[("S1", "成交转化率")][4] == approx(0.8)
    on_time = s[("S1", "行动项按时完成率")]
    assert on_time[1] == approx(0.9) and on_time[2] == approx(1 / 3) and on_time[4] == approx((1 / 3) / 0.9)
    assert score == approx(0.4 * 3200 / 3000 + 0.2 * 1.5 + 0.2 * 0.8 + 0.2 * (1 / 3) / 0.9)
    assert score == approx(0.960741, abs=1e-6)
    paid = s[("S2", "付费流量占比")]
    assert paid[2] == approx(0.2) and paid[4] == approx(1.0)
    cs = s[("S2", "客服响应时长")]
    assert cs[3] == "self_reported" and cs[2] == approx(40.0) and cs[4] == approx(0.75)
    assert cs[6] == approx(0.875)


def test_unmeasurable_kpi_is_null_not_zero(scorecard_db: Path) -> None:
    """S3's 2026Q2 has no sales data yet: no actual, so no attainment (never a silent 0)."""
    _w, _target, actual, source, att, ws, score = _scores(scorecard_db, "2026Q2")[("S3", "GMV达成率")]
    assert source == "measured" and actual is None and att is None and ws is None and score is None


def test_action_plan_status(scorecard_db: Path) -> None:
    with duckdb.connect(str(scorecard_db), read_only=True) as conn:
        rows = {
            (str(r[0]), r[1]): r[2:]
            for r in conn.execute(
                "select snapshot_date, action_id, on_time, overdue_days, completed_on, status_code, progress_pct "
                "from marts.fct_action_plan_status"
            ).fetchall()
        }
    assert rows[("2026-01-12", "A1")][:2] == (True, 0)
    assert rows[("2026-02-09", "A2")][:2] == (None, 0)  # open, not yet due
    assert rows[("2026-02-16", "A2")][:2] == (False, 6)  # open past due
    assert rows[("2026-03-30", "A2")][:2] == (False, 48)  # completed late (seen 03-30, due 02-10)
    assert rows[("2026-03-30", "A3")][:2] == (False, 29)  # open past due
    assert rows[("2026-03-30", "A4")][:2] == (None, 0)  # cancelled
    assert rows[("2026-03-30", "A3")][4] == pytest.approx(0.8)


def test_identical_builds_give_identical_checksums(scorecard_db: Path) -> None:
    """The ratios are fixed decimals (a DOUBLE's last digit used to differ between identical runs)."""

    def checksum() -> tuple:
        with duckdb.connect(str(scorecard_db), read_only=True) as conn:
            types = {
                t
                for (t,) in conn.execute(
                    "select data_type from information_schema.columns where table_schema = 'marts' "
                    "and table_name = 'fct_agency_kpi_scorecard' and column_name in "
                    "('weight', 'target', 'actual', 'attainment', 'weighted_score', 'staff_score')"
                ).fetchall()
            }
            assert types == {"DECIMAL(18,8)"}
            return conn.execute(
                "select count(*), sum(hash(t)) from marts.fct_agency_kpi_scorecard t"
            ).fetchone()

    first = checksum()
    run_dbt(scorecard_db.parent.parent, "build", "--select", "fct_agency_kpi_scorecard", "--full-refresh")
    assert checksum() == first
