"""Hand-made mart, intermediate and ops rows for the alert rules, with the figures each rule must
produce worked out by hand in the comments (as_of = 2026-06-10, June has 30 days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

AS_OF = date(2026, 6, 10)

DDL = """
create schema if not exists marts; create schema if not exists intermediate; create schema if not exists ops;
create table marts.fct_plan_vs_actual_monthly (month_start date, brand varchar, store_type varchar,
    category varchar, plan_gmv decimal(18,2));
create table marts.fct_sales_daily (date_day date, brand varchar, store_type varchar, sku_id varchar,
    gmv decimal(18,2));
create table marts.fct_ads_daily (date_day date, brand varchar, product_line varchar, campaign_id varchar,
    campaign_name varchar, is_haitou boolean, cost decimal(18,2), total_order_amount decimal(18,2));
create table marts.fct_inventory_daily (date_day date, brand varchar, sku_id varchar, dc varchar,
    available bigint, shipped_units bigint);
create table intermediate.int_vc_purchase_orders__latest (brand varchar, po_id varchar, sku_id varchar,
    eta_date date, qty_ordered bigint, qty_received bigint, po_amount decimal(18,2), po_status varchar,
    export_date date, load_id varchar);
create table marts.fct_action_plan_status (snapshot_date date, brand varchar, action_id varchar,
    horizon varchar, owner_id varchar, store_type varchar, due_date date, status varchar, status_code varchar,
    metric varchar, target decimal(18,4), "current" decimal(18,4));
"""


def day(n: int) -> date:
    """June n, 2026."""
    return date(2026, 6, n)


def build(conn: duckdb.DuckDBPyConnection) -> None:
    from jd_pipeline.ingest.manifest import ensure_ops_tables
    from jd_pipeline.quality.results import ensure_dq_tables

    conn.execute(DDL)
    ensure_ops_tables(conn)
    ensure_dq_tables(conn)
    _gmv(conn)
    _ads(conn)
    _inventory(conn)
    _po(conn)
    _actions(conn)
    _manifest(conn)
    _checks(conn)


def _gmv(conn: duckdb.DuckDBPyConnection) -> None:
    # pop plan 300,000 (two categories) -> pace at day 10 = 100,000; MTD 70,000 -> 0.70 < 0.75: critical.
    # self plan 150,000 -> pace 50,000; MTD 48,000 -> 0.96: nothing.
    conn.execute(
        "insert into marts.fct_plan_vs_actual_monthly values "
        "('2026-06-01','brand_a','pop','c1',200000),('2026-06-01','brand_a','pop','c2',100000),"
        "('2026-06-01','brand_a','self','c1',150000),('2026-05-01','brand_a','pop','c1',1)"
    )
    for n in range(1, 11):
        conn.execute("insert into marts.fct_sales_daily values (?, 'brand_a', 'pop', 'k1', 7000)", [day(n)])
        conn.execute("insert into marts.fct_sales_daily values (?, 'brand_a', 'self', 'k2', 4800)", [day(n)])
    conn.execute("insert into marts.fct_sales_daily values ('2026-06-11', 'brand_a', 'pop', 'k1', 99999)")


def _ads(conn: duckdb.DuckDBPyConnection) -> None:
    # trailing = June 3..9. kuaiche: ROI 5 trailing, day 2000/1000 = 2 -> drop 60 %: critical.
    # recommendation: ROI 4 trailing, day 3800/1000 = 3.8 -> drop 5 %: nothing.
    # smart = the 海投 campaign c9 alone: ROI 3 trailing, day 1200/600 = 2 -> drop 33.3 %: warning (twice:
    # the product line and the campaign). display: day cost 100 < min_cost 500: nothing.
    rows = []
    for n in range(3, 10):
        rows += [
            (day(n), "kuaiche", "k-1", "快车计划", False, 1000, 5000),
            (day(n), "recommendation", "r-1", "推荐", False, 1000, 4000),
            (day(n), "smart", "c9", "海投-全店", True, 500, 1500),
            (day(n), "display", "d-1", "展位", False, 100, 900),
        ]
    rows += [
        (day(10), "kuaiche", "k-1", "快车计划", False, 1000, 2000),
        (day(10), "recommendation", "r-1", "推荐", False, 1000, 3800),
        (day(10), "smart", "c9", "海投-全店", True, 600, 1200),
        (day(10), "display", "d-1", "展位", False, 100, 0),
        (day(2), "kuaiche", "k-1", "快车计划", False, 100000, 1),
    ]  # outside the trailing window
    conn.executemany("insert into marts.fct_ads_daily values (?, 'brand_a', ?, ?, ?, ?, ?, ?)", rows)


def _inventory(conn: duckdb.DuckDBPyConnection) -> None:
    # s1: ships 5+5 a day in two DCs (rank 1); available on June 10: 40+20 = 60 -> 60 / 10 = 6.0 days: critical.
    # s2: ships 2 a day; available 100 -> 50 days: nothing. s3: ships nothing: no cover to measure.
    rows = []
    for n in range(28):
        d = AS_OF - timedelta(days=n)
        rows += [
            (d, "s1", "北京", 500, 5),
            (d, "s1", "上海", 500, 5),
            (d, "s2", "北京", 500, 2),
            (d, "s3", "北京", 1, 0),
        ]
    conn.executemany("insert into marts.fct_inventory_daily values (?, 'brand_a', ?, ?, ?, ?)", rows)
    conn.execute(
        "update marts.fct_inventory_daily set available = 40 where sku_id = 's1' and dc = '北京' "
        "and date_day = '2026-06-10'"
    )
    conn.execute(
        "update marts.fct_inventory_daily set available = 20 where sku_id = 's1' and dc = '上海' "
        "and date_day = '2026-06-10'"
    )
    conn.execute(
        "update marts.fct_inventory_daily set available = 100 where sku_id = 's2' and date_day = '2026-06-10'"
    )


def _po(conn: duckdb.DuckDBPyConnection) -> None:
    # p1 已回告, ETA June 1 -> 9 days late: critical (2 lines). p2 已完成: nothing. p3 部分收货, ETA June 9 ->
    # 1 day: warning. p4 待回告, ETA June 10: not past yet.
    conn.execute("""insert into intermediate.int_vc_purchase_orders__latest values
        ('brand_a','p1','s1','2026-06-01',100,0,1000.00,'已回告','2026-06-02','L-po-1'),
        ('brand_a','p1','s2','2026-06-01',50,0,500.50,'已回告','2026-06-02','L-po-1'),
        ('brand_a','p2','s1','2026-06-01',10,10,100.00,'已完成','2026-06-05','L-po-2'),
        ('brand_a','p3','s2','2026-06-09',20,5,200.00,'部分收货','2026-06-09','L-po-3'),
        ('brand_a','p4','s3','2026-06-10',20,0,200.00,'待回告','2026-06-09','L-po-3')""")


def _actions(conn: duckdb.DuckDBPyConnection) -> None:
    # newest snapshot June 8: a1 进行中 due June 5 -> 5 days: warning; a2 已完成: nothing; a3 未开始 due May 20
    # -> 21 days: critical. a4 is overdue only in the older June 1 snapshot: ignored.
    conn.execute("""insert into marts.fct_action_plan_status values
        ('2026-06-08','brand_a','a1','30天','T001','pop','2026-06-05','进行中','in_progress','GMV',100,50),
        ('2026-06-08','brand_a','a2','30天','T002','pop','2026-06-01','已完成','done','GMV',100,100),
        ('2026-06-08','brand_a','a3','60天','T003','all','2026-05-20','未开始','not_started',null,null,null),
        ('2026-06-01','brand_a','a4','30天','T004','self','2026-05-01','进行中','in_progress',null,null,null)""")


def day_end_utc(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), datetime.min.time()) - timedelta(hours=8)


def manifest_row(
    conn: duckdb.DuckDBPyConnection,
    load_id: str,
    source: str,
    period: str,
    delivered: datetime,
    status: str = "loaded",
    store: str | None = None,
    brand: str = "brand_a",
) -> None:
    conn.execute(
        "insert into ops.load_manifest (load_id, path, sha256, source, brand, store, period, delivered_at, status) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            f"{source}/{brand}/{period}/{load_id}.csv",
            "0" * 64,
            source,
            brand,
            store,
            period,
            delivered,
            status,
        ],
    )


def _manifest(conn: duckdb.DuckDBPyConnection) -> None:
    # jd_pop_orders arrives 3 h after the day ends (June 1..9): due for June 10 at its end + 3 h + grace 6 h
    # = 2026-06-11 01:00 UTC. jd_vc_sales was delivered in one bulk (lags of weeks): no usual arrival.
    for n in range(1, 10):
        manifest_row(
            conn, f"L-pop-{n}", "jd_pop_orders", day(n).isoformat(), day_end_utc(day(n)) + timedelta(hours=3)
        )
        manifest_row(conn, f"L-vc-{n}", "jd_vc_sales", day(n).isoformat(), datetime(2026, 9, 1))
    manifest_row(
        conn,
        "L-pop-9b",
        "jd_pop_orders",
        day(9).isoformat(),
        day_end_utc(day(9)) + timedelta(hours=5),
        status="replaced",
    )
    manifest_row(conn, "L-plan", "fin_sales_plan", "2026", datetime(2026, 1, 5))
    manifest_row(conn, "L-ads-10", "jd_ads", day(10).isoformat(), day_end_utc(day(10)))
    manifest_row(conn, "L-act-8", "tp_action_plan", day(8).isoformat(), day_end_utc(day(8)))
    manifest_row(conn, "L-inv-10", "jd_vc_inventory", day(10).isoformat(), day_end_utc(day(10)))


def add_check(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    passed: bool,
    severity: str,
    start: date,
    end: date,
    at: datetime,
) -> None:
    details = f'{{"window_start": "{start.isoformat()}", "window_end": "{end.isoformat()}"}}'
    conn.execute(
        "insert into ops.dq_results values (?, 'raw/jd_pop_orders', null, ?, ?, '3 rows off', 'run1', ?, ?)",
        [name, passed, severity, at, details],
    )


def _checks(conn: duckdb.DuckDBPyConnection) -> None:
    # a blocking failure over June 9..10 fires; a failed warn-level check does not.
    add_check(conn, "recon_order_totals", False, "error", day(9), day(11), datetime(2026, 6, 11, 0, 0))
    add_check(conn, "gx_jd_pop_orders", False, "warn", day(9), day(11), datetime(2026, 6, 11, 0, 0))
