"""The daily flash (日报) of one brand and day: GMV by store vs the plan's pace, top movers, ads
spend and ROI, open alerts and data-quality status; plus the short text card sent to the group
robots with a link to the HTML.

Plan pace = the month's current plan × days elapsed ÷ days in month (as the `gmv_pace` alert rule
and `kpi/headline_daily`). Top movers: SKUs with the largest GMV change vs the same weekday a week
earlier. Every headline figure carries its `jd-pipeline explain` command in the footnotes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from jd_pipeline.periods import days_in_month
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.model import KeyNumber, Report, Section, Table
from jd_pipeline.reporting.queries import df, ratio, scalar, store_label
from jd_pipeline.warehouse import table_exists

KIND = "daily_flash"
FILE_STEM = "daily_flash"
TOP_MOVERS = 5


@dataclass(frozen=True)
class FlashCard:
    dedupe_key: str
    title: str
    lines: list[str]
    link: str

    def payload(self) -> dict[str, object]:
        return {"title": self.title, "lines": self.lines, "link": self.link}


def _stores(conn: duckdb.DuckDBPyConnection, brand: str, day: date) -> pd.DataFrame:
    first = day.replace(day=1)
    elapsed = day.day / days_in_month(day)
    plan = "marts.fct_plan_vs_actual_monthly"
    plan_cte = (
        (
            f"select store_type, sum(plan_gmv) as plan_month from {plan} "
            "where brand = $brand and month_start = $first group by 1"
        )
        if table_exists(conn, "marts", "fct_plan_vs_actual_monthly")
        else "select null::varchar as store_type, null::decimal as plan_month where false"
    )
    return df(
        conn,
        f"""
        with sales as (
            select store_type,
                   sum(gmv) filter (where date_day = $day) as gmv_day,
                   sum(gmv) filter (where date_day = $week_ago) as gmv_week_ago,
                   sum(gmv) as gmv_mtd
            from marts.fct_sales_daily where brand = $brand and date_day between $first and $day group by 1),
        plan as ({plan_cte})
        select coalesce(s.store_type, p.store_type) as store_type, s.gmv_day, s.gmv_week_ago, s.gmv_mtd,
               p.plan_month, p.plan_month * $elapsed as plan_pace,
               s.gmv_mtd / nullif(p.plan_month * $elapsed, 0) as pace_ratio
        from sales as s full join plan as p on p.store_type = s.store_type
        order by 1""",
        {"brand": brand, "day": day, "first": first, "week_ago": day - timedelta(days=7), "elapsed": elapsed},
    )


def _movers(conn: duckdb.DuckDBPyConnection, brand: str, day: date) -> pd.DataFrame:
    return (
        df(
            conn,
            """
        with d as (
            select store_type, sku_id,
                   coalesce(sum(gmv) filter (where date_day = $day), 0) as gmv_day,
                   coalesce(sum(gmv) filter (where date_day = $week_ago), 0) as gmv_week_ago
            from marts.fct_sales_daily where brand = $brand and date_day in ($day, $week_ago) group by all),
        ranked as (
            select *, gmv_day - gmv_week_ago as change,
                   row_number() over (order by gmv_day - gmv_week_ago desc, sku_id) as up_rank,
                   row_number() over (order by gmv_day - gmv_week_ago asc, sku_id) as down_rank
            from d)
        select case when up_rank <= $n and change > 0 then '上升' else '下降' end as direction,
               r.store_type, r.sku_id, s.sku_name, r.gmv_day, r.gmv_week_ago, r.change
        from ranked as r left join marts.dim_sku as s on s.sku_id = r.sku_id and s.brand = $brand
        where (up_rank <= $n and change > 0) or (down_rank <= $n and change < 0)
        order by direction = '上升' desc, abs(change) desc, r.sku_id""",
            {"brand": brand, "day": day, "week_ago": day - timedelta(days=7), "n": TOP_MOVERS},
        )
        if table_exists(conn, "marts", "dim_sku")
        else pd.DataFrame()
    )


def _ads(conn: duckdb.DuckDBPyConnection, brand: str, day: date) -> pd.DataFrame:
    return df(
        conn,
        """
        select product_line,
               sum(cost) filter (where date_day = $day) as cost_day,
               sum(total_order_amount) filter (where date_day = $day) as amount_day,
               sum(total_order_amount) filter (where date_day = $day)
                   / nullif(sum(cost) filter (where date_day = $day), 0) as roi_day,
               sum(total_order_amount) filter (where date_day < $day)
                   / nullif(sum(cost) filter (where date_day < $day), 0) as roi_trailing_7d
        from marts.fct_ads_daily where brand = $brand and date_day between $first and $day
        group by 1 order by cost_day desc nulls last, 1""",
        {"brand": brand, "day": day, "first": day - timedelta(days=7)},
    )


def _alerts(conn: duckdb.DuckDBPyConnection, brand: str) -> pd.DataFrame:
    if not table_exists(conn, "marts", "fct_alerts"):
        return pd.DataFrame(columns=["severity", "rule", "title", "first_seen"])
    return df(
        conn,
        """
        select severity, rule, title, first_seen from marts.fct_alerts
        where status = 'open' and (brand = $brand or brand is null)
        order by severity = 'critical' desc, first_seen, alert_key""",
        {"brand": brand},
    )


def report_link(reports_root: Path, brand: str, day: date) -> str:
    """`JD_REPORTS_BASE_URL/<brand>/<day>/daily_flash.html` when the reports are served, else a file URI."""
    relative = f"{brand}/{day.isoformat()}/{FILE_STEM}.html"
    base = os.environ.get("JD_REPORTS_BASE_URL", "").rstrip("/")
    return f"{base}/{relative}" if base else (reports_root / relative).resolve().as_uri()


def _explain_notes(brand: str, day: date) -> list[str]:
    return [
        f"溯源 GMV: jd-pipeline explain fct_sales_daily brand={brand} date_day={day} store_type=pop (或 self)",
        f"溯源 广告: jd-pipeline explain fct_ads_daily brand={brand} date_day={day}",
    ]


def build_flash(
    conn: duckdb.DuckDBPyConnection, brand: str, day: date, reports_root: Path
) -> tuple[Report, FlashCard]:
    stores = _stores(conn, brand, day)
    ads = _ads(conn, brand, day)
    alerts = _alerts(conn, brand)
    dq, dq_keys = dq_section(conn, brand, day, day)
    gmv_day = scalar(
        conn, "select sum(gmv) from marts.fct_sales_daily where brand = ? and date_day = ?", [brand, day]
    )
    gmv_mtd = float(stores["gmv_mtd"].fillna(0).sum()) if len(stores) else None
    pace = float(stores["plan_pace"].fillna(0).sum()) if len(stores) else None
    pace_ratio = ratio(gmv_mtd, pace)
    cost = float(ads["cost_day"].fillna(0).sum()) if len(ads) else None
    roi = ratio(ads["amount_day"].fillna(0).sum() if len(ads) else None, cost)
    critical = int((alerts["severity"] == "critical").sum()) if len(alerts) else 0
    keys = [
        KeyNumber("gmv_day", "昨日 GMV", gmv_day),
        KeyNumber("gmv_mtd", "本月累计 GMV", gmv_mtd),
        KeyNumber("pace_ratio", "计划进度达成", pace_ratio, "pct"),
        KeyNumber("ads_cost_day", "昨日广告花费", cost),
        KeyNumber("ads_roi_day", "昨日广告 ROI", roi, "ratio"),
        KeyNumber("open_alerts", "未恢复告警", float(len(alerts)), "int"),
        *dq_keys,
    ]
    sections = [
        Section(
            "分店铺 GMV vs 计划进度",
            tables=[
                Table(
                    "店铺",
                    "昨日与本月累计 GMV，计划按天折算",
                    store_label(stores.rename(columns={"store_type": "store_type"})),
                    {
                        "gmv_day": "money",
                        "gmv_week_ago": "money",
                        "gmv_mtd": "money",
                        "plan_month": "money",
                        "plan_pace": "money",
                        "pace_ratio": "pct",
                    },
                )
            ],
            notes=_explain_notes(brand, day)[:1],
        ),
        Section(
            "Top movers (vs 上周同日)",
            tables=[
                Table(
                    "波动SKU",
                    f"GMV 变化最大的 SKU (各 {TOP_MOVERS} 个)",
                    store_label(_movers(conn, brand, day)),
                    {"gmv_day": "money", "gmv_week_ago": "money", "change": "money"},
                )
            ],
        ),
        Section(
            "广告 花费与 ROI",
            tables=[
                Table(
                    "广告",
                    "按产品线: 昨日花费、成交与 ROI，近 7 日 ROI",
                    ads,
                    {
                        "cost_day": "money",
                        "amount_day": "money",
                        "roi_day": "ratio",
                        "roi_trailing_7d": "ratio",
                    },
                )
            ],
            notes=_explain_notes(brand, day)[1:],
        ),
        Section("未恢复告警", tables=[Table("告警", f"{len(alerts)} 条 (严重 {critical})", alerts)]),
        dq,
    ]
    report = Report(
        kind=KIND,
        brand=brand,
        period=day.isoformat(),
        title=f"{brand} 日报 {day.isoformat()}",
        file_stem=FILE_STEM,
        subtitle="昨日 GMV、计划进度、波动 SKU、广告、告警与数据质量",
        key_numbers=keys,
        sections=sections,
        sources=[
            "fct_sales_daily",
            "fct_plan_vs_actual_monthly",
            "fct_ads_daily",
            "fct_alerts",
            "ops.dq_results",
        ],
    )
    card = _card(
        brand,
        day,
        stores,
        gmv_day,
        pace_ratio,
        cost,
        roi,
        len(alerts),
        critical,
        dq_keys,
        report_link(reports_root, brand, day),
    )
    return report, card


def _money(value: float | None) -> str:
    return "–" if value is None else f"¥{value:,.0f}"


def _card(
    brand: str,
    day: date,
    stores: pd.DataFrame,
    gmv_day: float | None,
    pace_ratio: float | None,
    cost: float | None,
    roi: float | None,
    open_alerts: int,
    critical: int,
    dq_keys: list[KeyNumber],
    link: str,
) -> FlashCard:
    by_store = " · ".join(
        f"{s['store_type']} {_money(None if pd.isna(s['gmv_day']) else float(s['gmv_day']))}"
        for s in store_label(stores.copy()).to_dict("records")
    )
    failed = next((k.value for k in dq_keys if k.key == "dq_failed_checks"), 0) or 0
    lines = [
        f"昨日 GMV {_money(gmv_day)} ({by_store})",
        f"本月计划进度 {'–' if pace_ratio is None else f'{pace_ratio:.0%}'}",
        f"广告花费 {_money(cost)} · ROI {'–' if roi is None else f'{roi:.2f}'}",
        f"未恢复告警 {open_alerts} (严重 {critical})",
        f"数据质量: {'失败检查 ' + str(int(failed)) if failed else '通过'}",
    ]
    return FlashCard(f"flash:{brand}:{day.isoformat()}", f"{brand} 日报 {day.isoformat()}", lines, link)
