"""Headline KPIs per brand and day (`kpi.headline_daily`), all in DuckDB SQL from the marts.

Definitions (every ratio from summed parts):
- gmv, net_sales, units, orders: Σ marts.fct_sales_daily of the day (both stores); gmv_pop, gmv_self.
- mtd/qtd/ytd_gmv: Σ gmv from the period start to the day.
- plan: the current plan version (intermediate.int_sales_plan__versions, is_current), both stores and
  all categories. The plan to date prorates the day's month by elapsed days: plan_mtd = month plan ×
  day ÷ days in month; plan_qtd/ytd = the period's earlier months in full + plan_mtd.
  mtd/qtd/ytd_achievement = gmv to date ÷ plan to date (1.0 = on track).
- ads_cost, ads_roi = Σ total_order_amount ÷ Σ cost of the day (marts.fct_ads_daily); mtd_ads_roi.
- visitors, deal_buyers, conversion = deal_buyers ÷ visitors (marts.fct_traffic_daily, all sources).
- opex_ratio_ytd = Σ OPEX actual (marts.fct_opex_monthly, all cost centres and types) ÷ Σ net_sales,
  both over the year's months up to the day's month that have ledger actuals (months still open
  have no ledger yet and are left out of both sides).
"""

from __future__ import annotations

from datetime import date

import duckdb

from jd_pipeline.warehouse import fetch_value, table_exists

HEADLINE_TABLE = "kpi.headline_daily"

COLUMNS = (
    "date_day",
    "brand",
    "gmv",
    "gmv_pop",
    "gmv_self",
    "net_sales",
    "units",
    "orders",
    "mtd_gmv",
    "qtd_gmv",
    "ytd_gmv",
    "month_plan_gmv",
    "plan_mtd",
    "plan_qtd",
    "plan_ytd",
    "mtd_achievement",
    "qtd_achievement",
    "ytd_achievement",
    "ads_cost",
    "ads_order_amount",
    "ads_roi",
    "mtd_ads_roi",
    "visitors",
    "deal_buyers",
    "conversion",
    "opex_ytd",
    "opex_ratio_ytd",
)


def headline_sql(conn: duckdb.DuckDBPyConnection) -> str:
    """SELECT of the headline rows for days in [$start, $end] (params: start, end)."""
    plan_src = (
        "select brand, month_start, sum(target_gmv) as plan_gmv from intermediate.int_sales_plan__versions "
        "where is_current group by all"
        if table_exists(conn, "intermediate", "int_sales_plan__versions")
        else "select null::varchar brand, null::date month_start, null::decimal(18,2) plan_gmv where false"
    )
    opex_src = (
        "select brand, month_start, sum(actual) as actual from marts.fct_opex_monthly group by all "
        "having sum(abs(actual)) > 0"
        if table_exists(conn, "marts", "fct_opex_monthly")
        else "select null::varchar brand, null::date month_start, null::decimal(18,2) actual where false"
    )
    return f"""
    with sales as (
        select brand, date_day, sum(gmv) as gmv, sum(gmv) filter (where store_type = 'pop') as gmv_pop,
               sum(gmv) filter (where store_type = 'self') as gmv_self, sum(net_sales) as net_sales,
               sum(units) as units, sum(orders) as orders
        from marts.fct_sales_daily
        where date_day between date_trunc('year', $start::date) and $end::date
        group by all
    ),
    cum as (
        select *,
            sum(gmv) over (partition by brand, date_trunc('month', date_day) order by date_day) as mtd_gmv,
            sum(gmv) over (partition by brand, date_trunc('quarter', date_day) order by date_day) as qtd_gmv,
            sum(gmv) over (partition by brand, date_trunc('year', date_day) order by date_day) as ytd_gmv
        from sales
    ),
    plan as ({plan_src}),
    plan_days as (
        select c.brand, c.date_day,
            max(p.plan_gmv) filter (where p.month_start = date_trunc('month', c.date_day)) as month_plan_gmv,
            coalesce(sum(p.plan_gmv) filter (where p.month_start >= date_trunc('quarter', c.date_day)
                                             and p.month_start < date_trunc('month', c.date_day)), 0) as q_before,
            coalesce(sum(p.plan_gmv) filter (where p.month_start >= date_trunc('year', c.date_day)
                                             and p.month_start < date_trunc('month', c.date_day)), 0) as y_before
        from cum c left join plan p
          on p.brand = c.brand and p.month_start between date_trunc('year', c.date_day) and c.date_day
        group by all
    ),
    ads as (
        select brand, date_day, sum(cost) as cost, sum(total_order_amount) as amount
        from marts.fct_ads_daily
        where date_day between date_trunc('month', $start::date) and $end::date
        group by all
    ),
    ads_cum as (
        select *, sum(cost) over w as mtd_cost, sum(amount) over w as mtd_amount
        from ads window w as (partition by brand, date_trunc('month', date_day) order by date_day)
    ),
    traffic as (
        select brand, date_day, sum(visitors) as visitors, sum(deal_buyers) as deal_buyers
        from marts.fct_traffic_daily where date_day between $start::date and $end::date group by all
    ),
    opex as ({opex_src}),
    month_sales as (
        select brand, cast(date_trunc('month', date_day) as date) as month_start, sum(net_sales) as net_sales
        from marts.fct_sales_daily
        where date_day >= date_trunc('year', $start::date) and date_day <= $end::date
        group by all
    ),
    opex_ytd as (
        select c.brand, c.date_day, sum(o.actual) as opex_ytd, sum(ms.net_sales) as opex_net_sales
        from cum c
        join opex o on o.brand = c.brand and o.month_start between date_trunc('year', c.date_day) and c.date_day
        join month_sales ms on ms.brand = o.brand and ms.month_start = o.month_start
        group by all
    )
    select
        c.date_day, c.brand, c.gmv, coalesce(c.gmv_pop, 0) as gmv_pop, coalesce(c.gmv_self, 0) as gmv_self,
        c.net_sales, c.units, c.orders, c.mtd_gmv, c.qtd_gmv, c.ytd_gmv,
        pd.month_plan_gmv,
        pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)) as plan_mtd,
        pd.q_before + pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)) as plan_qtd,
        pd.y_before + pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)) as plan_ytd,
        c.mtd_gmv / nullif(pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)), 0) as mtd_achievement,
        c.qtd_gmv / nullif(pd.q_before + pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)), 0)
            as qtd_achievement,
        c.ytd_gmv / nullif(pd.y_before + pd.month_plan_gmv * day(c.date_day) / day(last_day(c.date_day)), 0)
            as ytd_achievement,
        a.cost as ads_cost, a.amount as ads_order_amount, a.amount / nullif(a.cost, 0) as ads_roi,
        a.mtd_amount / nullif(a.mtd_cost, 0) as mtd_ads_roi,
        t.visitors, t.deal_buyers, t.deal_buyers / nullif(t.visitors, 0) as conversion,
        o.opex_ytd, o.opex_ytd / nullif(o.opex_net_sales, 0) as opex_ratio_ytd
    from cum c
    left join plan_days pd using (brand, date_day)
    left join ads_cum a using (brand, date_day)
    left join traffic t using (brand, date_day)
    left join opex_ytd o using (brand, date_day)
    where c.date_day between $start::date and $end::date
    order by c.brand, c.date_day
    """


DDL = f"""
CREATE SCHEMA IF NOT EXISTS kpi;
CREATE TABLE IF NOT EXISTS {HEADLINE_TABLE} (
    date_day DATE NOT NULL, brand VARCHAR NOT NULL,
    gmv DECIMAL(18,2), gmv_pop DECIMAL(18,2), gmv_self DECIMAL(18,2), net_sales DECIMAL(18,2),
    units BIGINT, orders BIGINT, mtd_gmv DECIMAL(18,2), qtd_gmv DECIMAL(18,2), ytd_gmv DECIMAL(18,2),
    month_plan_gmv DECIMAL(18,2), plan_mtd DECIMAL(18,2), plan_qtd DECIMAL(18,2), plan_ytd DECIMAL(18,2),
    mtd_achievement DOUBLE, qtd_achievement DOUBLE, ytd_achievement DOUBLE,
    ads_cost DECIMAL(18,2), ads_order_amount DECIMAL(18,2), ads_roi DOUBLE, mtd_ads_roi DOUBLE,
    visitors BIGINT, deal_buyers BIGINT, conversion DOUBLE, opex_ytd DECIMAL(18,2), opex_ratio_ytd DOUBLE,
    PRIMARY KEY (date_day, brand)
)
"""


def refresh_headline(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> int:
    """Recompute the days [start, end] of kpi.headline_daily (delete + insert, one transaction)."""
    conn.execute(DDL)
    select = headline_sql(conn)
    conn.execute("begin")
    try:
        conn.execute(f"delete from {HEADLINE_TABLE} where date_day between ? and ?", [start, end])
        conn.execute(
            f"insert into {HEADLINE_TABLE} ({', '.join(COLUMNS)}) {select}", {"start": start, "end": end}
        )
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return fetch_value(
        conn, f"select count(*) from {HEADLINE_TABLE} where date_day between ? and ?", [start, end]
    )


def latest_headline(conn: duckdb.DuckDBPyConnection, end: date) -> list[dict]:
    """The newest row per brand on or before `end` (for the asset's metadata table)."""
    cur = conn.execute(
        f"select * from {HEADLINE_TABLE} where date_day <= ? "
        "qualify row_number() over (partition by brand order by date_day desc) = 1 order by brand",
        [end],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
