"""Campaign recap (活动复盘) for a campaign of tp_campaign_plan once it has ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import duckdb
import pandas as pd

from jd_pipeline.reporting import charts
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.formatting import cn_day
from jd_pipeline.reporting.layout import transposed
from jd_pipeline.reporting.model import Chart, Format, KeyNumber, Report, Section, Table
from jd_pipeline.reporting.queries import brand_name, df, ratio, store_label
from jd_pipeline.warehouse import table_exists

MODEL = "fct_campaign_recap"
OVERVIEW = (
    "target_gmv",
    "gmv_warmup",
    "gmv_during",
    "achievement_vs_target",
    "units_during",
    "gmv_pre_period",
    "ly_gmv",
    "yoy",
    "ads_budget",
    "ads_cost",
    "ads_order_amount",
    "roi",
    "resource_cost",
)
SUMMED = (
    "target_gmv",
    "gmv_warmup",
    "gmv_during",
    "units_during",
    "gmv_pre_period",
    "ads_budget",
    "ads_cost",
    "ads_order_amount",
    "resource_cost",
)
LY_BASIS = {"campaign": "去年同类型活动", "same_dates": "去年同日期"}


def ended_campaigns(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> list[str]:
    """Campaign codes of the brand whose end date falls in [start, end] and is covered by sales data."""
    rows = conn.execute(
        """
        select distinct campaign_code from marts.fct_campaign_recap
        where brand = ? and end_date between ? and ?
          and end_date <= (select max(date_day) from marts.fct_sales_daily where brand = ?)
        order by 1""",
        [brand, start, end, brand],
    ).fetchall()
    return [r[0] for r in rows]


def _overview(conn: duckdb.DuckDBPyConnection, brand: str, code: str) -> pd.DataFrame:
    return df(
        conn,
        """
        select store_type, campaign_title, campaign_type, warmup_start, start_date, end_date, days_during,
               target_gmv, gmv_warmup, gmv_during, achievement_vs_target, units_during, gmv_pre_period,
               ly_gmv, ly_basis, (gmv_during - ly_gmv) / nullif(ly_gmv, 0) as yoy,
               ads_budget, ads_cost, ads_order_amount, roi, resource_cost, top_skus
        from marts.fct_campaign_recap where brand = ? and campaign_code = ? order by store_type""",
        [brand, code],
    )


def _daily(
    conn: duckdb.DuckDBPyConnection, brand: str, stores: list[str], first: date, end: date
) -> pd.DataFrame:
    """Daily GMV by store over [first, end], with the same dates one year earlier (all stores) where they exist."""
    return df(
        conn,
        """
        with days as (select cast(unnest(generate_series(?::date, ?::date, interval 1 day)) as date) as date_day),
        cur as (
            select date_day, sum(gmv) filter (where store_type = 'pop') as pop_gmv,
                   sum(gmv) filter (where store_type = 'self') as self_gmv
            from marts.fct_sales_daily where brand = ? and date_day between ? and ?
              and store_type in (select unnest(?)) group by date_day),
        ly as (
            select cast(date_day + interval 1 year as date) as date_day, sum(gmv) as ly_gmv
            from marts.fct_sales_daily where brand = ? and date_day between ?::date - interval 1 year
              and ?::date - interval 1 year and store_type in (select unnest(?)) group by 1)
        select d.date_day, c.pop_gmv, c.self_gmv, ly.ly_gmv
        from days d left join cur c using (date_day) left join ly using (date_day) order by d.date_day""",
        [first, end, brand, first, end, stores, brand, first, end, stores],
    )


def _daily_chart(daily: pd.DataFrame, stores: list[str], warm: date, start: date, end: date) -> bytes:
    days = [pd.Timestamp(d).date() for d in daily["date_day"]]
    series: dict[str, Sequence[object]] = {}
    if "pop" in stores:
        series["POP店"] = daily["pop_gmv"]
    if "self" in stores:
        series["自营"] = daily["self_gmv"]
    dashed = []
    if daily["ly_gmv"].notna().any():
        series["去年同期 (合计)"] = daily["ly_gmv"]
        dashed.append("去年同期 (合计)")
    windows = []
    if warm < start:
        windows.append(
            charts.Window(
                days.index(warm), days.index(start - timedelta(days=1)), "预热期", charts.WARMUP_SHADE
            )
        )
    windows.append(charts.Window(days.index(start), days.index(end), "正式期", charts.MAIN_SHADE))
    return charts.lines(
        [d.strftime("%m-%d") for d in days],
        series,
        f"每日 GMV (预热 {cn_day(warm)} · 正式 {cn_day(start)} – {cn_day(end)})",
        windows=windows,
        dashed=dashed,
    )


def build_campaign_recap(conn: duckdb.DuckDBPyConnection, brand: str, code: str) -> Report:
    ov = _overview(conn, brand, code)
    first = ov.iloc[0]
    warm, start, end = first["warmup_start"], first["start_date"], first["end_date"]
    warm = warm if pd.notna(warm) else start
    warm, start, end = (pd.Timestamp(x).date() for x in (warm, start, end))
    stores = list(ov["store_type"])
    daily = _daily(conn, brand, stores, warm - timedelta(days=7), end)
    skus = df(
        conn,
        """
        select s.store_type, s.sku_id, d.sku_name, d.category, sum(s.units) as units, sum(s.gmv) as gmv
        from marts.fct_sales_daily s left join marts.dim_sku d on d.brand = s.brand and d.sku_id = s.sku_id
        where s.brand = ? and s.date_day between ? and ? and s.store_type in (select unnest(?))
        group by all order by gmv desc limit 15""",
        [brand, start, end, stores],
    )
    traffic = df(
        conn,
        """
        select store_type, source_l1, sum(visitors) as visitors, sum(deal_buyers) as deal_buyers,
               sum(deal_buyers) / nullif(sum(visitors), 0) as conversion
        from marts.fct_traffic_daily where brand = ? and date_day between ? and ? and store_type in (select unnest(?))
        group by all order by store_type, visitors desc""",
        [brand, start, end, stores],
    )
    ads = df(
        conn,
        """
        select product_line, sum(cost) as cost, sum(total_order_amount) as total_order_amount,
               sum(total_order_amount) / nullif(sum(cost), 0) as roi
        from marts.fct_ads_daily where brand = ? and date_day between ? and ? and store_type in (select unnest(?))
        group by all order by cost desc""",
        [brand, warm, end, stores],
    )
    resources = (
        df(
            conn,
            """
            select resource_slot, resource_terms, store_type, sum(resource_cost) as resource_cost
            from staging.stg_tp_campaign_plan__campaign_resources where brand = ? and campaign_code = ?
            group by all order by resource_cost desc""",
            [brand, code],
        )
        if table_exists(conn, "staging", "stg_tp_campaign_plan__campaign_resources")
        else pd.DataFrame(columns=["resource_slot", "resource_terms", "store_type", "resource_cost"])
    )
    sums = {c: float(ov[c].astype(float).sum()) for c in SUMMED}
    ly_sum = ov["ly_gmv"].astype(float).sum(min_count=1)
    ly = None if pd.isna(ly_sum) else float(ly_sum)
    achievement = ratio(sums["gmv_during"], sums["target_gmv"])
    roi = ratio(sums["ads_order_amount"], sums["ads_cost"])
    totals: dict[str, object] = {
        **sums,
        "ly_gmv": ly,
        "achievement_vs_target": achievement,
        "yoy": ratio(sums["gmv_during"] - ly, ly) if ly else None,
        "roi": roi,
    }
    target_chart = charts.grouped_bars(
        [str(s) for s in store_label(ov[["store_type"]].copy())["store_type"]],
        {
            "目标": ov["target_gmv"],
            "预热期": ov["gmv_warmup"],
            "正式期": ov["gmv_during"],
            "去年同期": ov["ly_gmv"],
        },
        "目标 vs 实际 vs 去年",
        sort=False,
    )
    money: Format = "money"
    ov_fmt: dict[str, Format] = {
        "target_gmv": money,
        "gmv_warmup": money,
        "gmv_during": money,
        "achievement_vs_target": "pct",
        "units_during": "int",
        "gmv_pre_period": money,
        "ly_gmv": money,
        "yoy": "pct",
        "ads_budget": money,
        "ads_cost": money,
        "ads_order_amount": money,
        "roi": "ratio",
        "resource_cost": money,
    }
    overview = transposed(
        "活动总览",
        "按店铺",
        store_label(ov.copy()),
        "store_type",
        OVERVIEW,
        ov_fmt,
        model=MODEL,
        total=totals if len(ov) > 1 else None,
    )
    basis = "、".join(sorted({LY_BASIS.get(b, b) for b in ov["ly_basis"].dropna()})) or "无去年数据"
    dq, dq_keys = dq_section(conn, brand, warm, end)
    keys = [
        KeyNumber("gmv_during", "正式期 GMV", sums["gmv_during"]),
        KeyNumber("target_gmv", "目标 GMV", sums["target_gmv"]),
        KeyNumber("achievement_vs_target", "目标达成率", achievement, "pct"),
        KeyNumber("gmv_warmup", "预热期 GMV", sums["gmv_warmup"]),
        KeyNumber("ly_gmv", "去年同期 GMV", ly, note=basis),
        KeyNumber("ads_cost", "广告花费", sums["ads_cost"], note="预热至结束"),
        KeyNumber("roi", "广告ROI", roi, "ratio"),
        KeyNumber("resource_cost", "资源位成本", sums["resource_cost"]),
        *dq_keys,
    ]
    top = [t for t in ov["top_skus"].dropna()]
    return Report(
        kind="campaign_recap",
        brand=brand,
        period=end.strftime("%Y-%m"),
        title=f"{brand_name(conn, brand)} 活动复盘 {first['campaign_title']} ({code})",
        file_stem=f"campaign_recap_{code}",
        subtitle=f"{first['campaign_type']} · 预热 {warm} · 正式 {start} 至 {end} ({int(first['days_during'])} 天)",
        key_numbers=keys,
        sections=[
            Section(
                "目标与实际",
                [overview],
                [
                    Chart("target", target_chart),
                    Chart("daily", _daily_chart(daily, stores, warm, start, end)),
                ],
                [
                    f"去年 = {basis}。ROI = 订单金额 ÷ 花费。活动前同长度 = 预热前相同天数。",
                    *([f"热销 SKU: {'; '.join(top)}"] if top else []),
                ],
            ),
            Section(
                "商品",
                [
                    Table(
                        "商品TOP15",
                        "正式期 GMV 前15 SKU",
                        store_label(skus),
                        {"units": "int", "gmv": money},
                        model="fct_sales_daily",
                    )
                ],
            ),
            Section(
                "运营: 流量与广告",
                [
                    Table(
                        "活动流量",
                        "正式期流量来源",
                        store_label(traffic),
                        {"visitors": "int", "deal_buyers": "int", "conversion": "pct"},
                        model="fct_traffic_daily",
                    ),
                    Table(
                        "活动广告",
                        "预热至结束 京准通按产品线",
                        ads,
                        {"cost": money, "total_order_amount": money, "roi": "ratio"},
                        model="fct_ads_daily",
                    ),
                ],
            ),
            Section(
                "平台资源",
                [
                    Table(
                        "资源位",
                        "资源位与成本",
                        store_label(resources),
                        {"resource_cost": money},
                        model=MODEL,
                    )
                ],
            ),
            dq,
        ],
        sources=[
            "fct_campaign_recap",
            "fct_sales_daily",
            "fct_traffic_daily",
            "fct_ads_daily",
            "dim_sku",
            "stg_tp_campaign_plan__campaign_resources",
            "ops.dq_results",
        ],
    )
