"""Monthly business review (月度经营分析) for one brand and month, from the marts only.

Sections are functions `(conn, brand, month) -> Section` in `SECTIONS` order, so a new section (e.g.
customers, regions) is one function and one line; tables name their mart (`Table.model`) so their
columns are labelled from the shared dictionary.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from jd_pipeline.periods import month_bounds
from jd_pipeline.reporting import charts
from jd_pipeline.reporting.customers_regions import customers_section, regions_section
from jd_pipeline.reporting.dq import dq_section
from jd_pipeline.reporting.forecast import accuracy_section, forecast_vs_actual_section
from jd_pipeline.reporting.formatting import PENDING
from jd_pipeline.reporting.layout import transposed
from jd_pipeline.reporting.model import Chart, Format, KeyNumber, Report, Section, Table
from jd_pipeline.reporting.periods import ledger_months, month_to_date_note, open_month_banner
from jd_pipeline.reporting.queries import STORE_LABELS, brand_name, df, ratio, store_label
from jd_pipeline.warehouse import fetch_value

PNL_LINES = (
    ("cogs", "商品成本"),
    ("commission", "佣金扣点"),
    ("platform_fee", "平台使用费"),
    ("ads", "广告费"),
    ("agency_fee", "代运营服务费"),
    ("logistics", "物流仓储"),
    ("campaign", "营销活动"),
    ("samples", "样品赠品"),
    ("staff", "人员"),
    ("other", "其他"),
    ("allocated_shared", "共享费用分摊"),
)
SELF_GMV_NOTE = (
    "自营 GMV = 京东自营 收入 (财务口径), 已扣退货: 个别 SKU 某日退货多于销售时为负值, 月度汇总仍为净额。"
)


def _plan_section(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> tuple[Section, pd.DataFrame]:
    frame = df(
        conn,
        """
        select store_type, category, actual_gmv, plan_gmv, budget_gmv,
               achievement_vs_plan, achievement_vs_budget, ly_actual_gmv, yoy_growth
        from marts.fct_plan_vs_actual_monthly
        where brand = ? and month = ? order by store_type, actual_gmv desc, category""",
        [brand, month],
    )
    raw = frame.copy()
    store_label(frame)
    labels = [f"{s}·{c}" for s, c in zip(frame["store_type"], frame["category"])]
    chart = charts.grouped_bars(
        labels,
        {
            "实际": frame["actual_gmv"],
            "计划": frame["plan_gmv"],
            "预算": frame["budget_gmv"],
            "去年同月": frame["ly_actual_gmv"],
        },
        f"{month} GMV: 实际 vs 计划 vs 预算 vs 去年 (店铺·品类)",
    )
    fmt: dict[str, Format] = {
        "actual_gmv": "money",
        "plan_gmv": "money",
        "budget_gmv": "money",
        "achievement_vs_plan": "pct",
        "achievement_vs_budget": "pct",
        "ly_actual_gmv": "money",
        "yoy_growth": "pct",
    }
    section = Section(
        "GMV vs 计划与预算 (按店铺与品类)",
        tables=[Table("GMV计划达成", "GMV 计划达成", frame, fmt, model="fct_plan_vs_actual_monthly")],
        charts=[Chart("GMV vs plan", chart)],
        notes=["计划 = 当前版本 (最新发布日期); 预算 = 年度第一个版本。", SELF_GMV_NOTE],
    )
    return section, raw


def _store_trend_section(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> Section:
    frame = df(
        conn,
        """
        select month,
               sum(actual_gmv) filter (where store_type = 'pop')  as pop_gmv,
               sum(actual_gmv) filter (where store_type = 'self') as self_gmv,
               sum(ly_actual_gmv) filter (where store_type = 'pop')  as ly_pop_gmv,
               sum(ly_actual_gmv) filter (where store_type = 'self') as ly_self_gmv,
               sum(plan_gmv) as plan_gmv
        from marts.fct_plan_vs_actual_monthly
        where brand = ? and month <= ? and month > strftime(cast(? || '-01' as date) - interval 12 month, '%Y-%m')
        group by month order by month""",
        [brand, month, month],
    )
    series = {"POP店": frame["pop_gmv"], "自营": frame["self_gmv"]}
    dashed = []
    for col, name in (("ly_pop_gmv", "POP店 去年同月"), ("ly_self_gmv", "自营 去年同月")):
        if frame[col].notna().any():  # year-on-year only where last year exists
            series[name] = frame[col]
            dashed.append(name)
    series["计划 (两店合计)"] = frame["plan_gmv"]
    chart = charts.lines(
        frame["month"], series, "POP店 vs 自营 GMV (近12个月, 虚线 = 去年同月)", dashed=dashed
    )
    fmt: dict[str, Format] = {
        c: "money" for c in ("pop_gmv", "self_gmv", "ly_pop_gmv", "ly_self_gmv", "plan_gmv")
    }
    return Section(
        "POP店 vs 自营",
        [Table("店铺趋势", "近12个月 GMV 按店铺", frame, fmt, model="fct_plan_vs_actual_monthly")],
        [Chart("stores", chart)],
    )


def _traffic_section(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> Section:
    frame = df(
        conn,
        """
        select store_type, source_l1, sum(visitors) as visitors, sum(deal_buyers) as deal_buyers,
               sum(deal_amount) as deal_amount, sum(deal_buyers) / nullif(sum(visitors), 0) as conversion
        from marts.fct_traffic_daily
        where brand = ? and date_day between ? and ?
        group by all order by store_type, visitors desc""",
        [brand, start, end],
    )
    paid = df(
        conn,
        """
        select store_type,
               sum(visitors) filter (where is_paid) as paid_visitors,
               sum(visitors) filter (where not is_paid) as free_visitors,
               sum(visitors) filter (where is_paid) / nullif(sum(visitors), 0) as paid_share,
               sum(deal_buyers) / nullif(sum(visitors), 0) as conversion
        from marts.fct_traffic_daily
        where brand = ? and date_day between ? and ? group by all order by store_type""",
        [brand, start, end],
    )
    store_label(frame)
    store_label(paid)
    chart = charts.stacked_bars(
        paid["store_type"],
        {"免费/自然": paid["free_visitors"], "付费": paid["paid_visitors"]},
        "访客: 免费 vs 付费",
    )
    return Section(
        "流量: 免费 vs 付费",
        tables=[
            Table(
                "流量付费占比",
                "付费流量占比与转化率",
                paid,
                {"paid_visitors": "int", "free_visitors": "int", "paid_share": "pct", "conversion": "pct"},
                model="fct_traffic_daily",
            ),
            Table(
                "流量来源",
                "一级来源",
                frame,
                {"visitors": "int", "deal_buyers": "int", "deal_amount": "money", "conversion": "pct"},
                model="fct_traffic_daily",
            ),
        ],
        charts=[Chart("traffic", chart)],
        notes=["转化率 = 成交客户数 ÷ 访客数 (由各部分汇总后计算)。"],
    )


def _ads_section(
    conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date
) -> tuple[Section, pd.DataFrame]:
    frame = df(
        conn,
        """
        select product_line, sum(impressions) as impressions, sum(clicks) as clicks, sum(cost) as cost,
               sum(total_order_amount) as total_order_amount, sum(total_orders) as total_orders,
               sum(total_order_amount) / nullif(sum(cost), 0) as roi,
               sum(clicks) / nullif(sum(impressions), 0) as ctr
        from marts.fct_ads_daily
        where brand = ? and date_day between ? and ?
        group by all order by cost desc""",
        [brand, start, end],
    )
    chart = charts.grouped_bars(
        frame["product_line"],
        {"花费": frame["cost"], "订单金额": frame["total_order_amount"]},
        "京准通 按产品线: 花费 vs 订单金额",
    )
    fmt: dict[str, Format] = {
        "impressions": "int",
        "clicks": "int",
        "cost": "money",
        "total_order_amount": "money",
        "total_orders": "int",
        "roi": "ratio",
        "ctr": "pct",
    }
    return Section(
        "广告: 按产品线与ROI",
        [Table("广告产品线", "京准通按产品线 (ROI = 总订单金额 ÷ 花费)", frame, fmt, model="fct_ads_daily")],
        [Chart("ads", chart)],
    ), frame


def _sku_section(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> Section:
    frame = df(
        conn,
        """
        with cur as (
            select brand, store_type, sku_id, sum(units) as units, sum(gmv) as gmv
            from marts.fct_sales_daily where brand = ? and date_day between ? and ? group by all
        ), prev as (
            select store_type, sku_id, sum(gmv) as prev_gmv
            from marts.fct_sales_daily
            where brand = ? and date_day between ?::date - interval 1 month and ?::date - interval 1 day
            group by all
        )
        select c.store_type, c.sku_id, d.sku_name, d.category, c.units, c.gmv, p.prev_gmv,
               (c.gmv - p.prev_gmv) / nullif(p.prev_gmv, 0) as mom
        from cur c
        left join prev p using (store_type, sku_id)
        left join marts.dim_sku d on d.brand = c.brand and d.sku_id = c.sku_id
        where c.units > 0""",
        [brand, start, end, brand, start, start],
    )
    fmt: dict[str, Format] = {"units": "int", "gmv": "money", "prev_gmv": "money", "mom": "pct"}
    top = frame.sort_values("gmv", ascending=False).head(10).reset_index(drop=True)
    bottom = frame.sort_values("gmv", ascending=True).head(10).reset_index(drop=True)
    colors = [charts.series_color(STORE_LABELS.get(s, s), 0) for s in top["store_type"]]
    store_label(top)
    store_label(bottom)
    names = [(n if isinstance(n, str) and n else s) for n, s in zip(top["sku_name"], top["sku_id"])]
    chart = charts.hbars(
        names,
        top["gmv"],
        "GMV 前10 SKU",
        colors=colors,
        legend={"POP店": charts.POP_COLOR, "自营": charts.SELF_COLOR},
    )
    return Section(
        "SKU 前10与后10",
        [
            Table("SKU前10", "GMV 前10 SKU", top, fmt, model="fct_sales_daily"),
            Table("SKU后10", "GMV 后10 SKU (有销量)", bottom, fmt, model="fct_sales_daily"),
        ],
        [Chart("top skus", chart)],
        [SELF_GMV_NOTE],
    )


def _opex_section(conn: duckdb.DuckDBPyConnection, brand: str, month: str, has_ledger: bool) -> Section:
    frame = df(
        conn,
        """
        select max(c.cost_type_name_cn) as cost_type_name, sum(o.actual) as actual,
               sum(o.budget) as budget, sum(o.plan) as plan, sum(o.variance) as variance,
               sum(o.ytd_actual) as ytd_actual, sum(o.ytd_budget) as ytd_budget
        from marts.fct_opex_monthly o left join marts.dim_cost_type c using (cost_type)
        where o.brand = ? and o.month = ?
        group by o.cost_type order by min(c.sort_order), o.cost_type""",
        [brand, month],
    )
    frame["cost_type_name"] = frame["cost_type_name"].fillna("其他")
    series = {"预算": frame["budget"], "计划": frame["plan"]}
    notes = ["差异 = 实际 − 预算。"]
    if has_ledger:
        series = {"实际": frame["actual"], **series}
    else:
        for col in ("actual", "variance"):
            frame[col] = PENDING
        notes.append(
            f"{int(month[5:7])}月总账未到: 实际与差异待总账 (不是 0); 年度累计实际只含已到总账的月份。"
        )
    chart = charts.grouped_bars(
        frame["cost_type_name"],
        series,
        f"{month} OPEX: 实际 vs 预算 vs 计划" if has_ledger else f"{month} OPEX: 预算 vs 计划 (实际待总账)",
    )
    fmt: dict[str, Format] = {
        c: "money" for c in ("actual", "budget", "plan", "variance", "ytd_actual", "ytd_budget")
    }
    return Section(
        "OPEX vs 预算",
        [Table("OPEX", "OPEX 按费用类型", frame, fmt, model="fct_opex_monthly")],
        [Chart("opex", chart)],
        notes,
    )


def _pnl_trend(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> bytes:
    trend = df(
        conn,
        """
        select month, sum(revenue) as revenue, sum(contribution) as contribution, bool_or(is_estimate) as est
        from marts.fct_ecom_pnl_monthly
        where brand = ? and month <= ? and month > strftime(cast(? || '-01' as date) - interval 12 month, '%Y-%m')
        group by month order by month""",
        [brand, month, month],
    )
    return charts.lines(
        trend["month"],
        {"收入": trend["revenue"], "贡献利润": trend["contribution"]},
        "收入与贡献利润 (近12个月, 空心点 = 估算)",
        estimated=list(trend["est"].astype(bool)),
    )


def _pnl_section(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> tuple[Section, pd.DataFrame]:
    cols = [
        "gmv",
        "revenue",
        "cogs",
        "gross_margin",
        *[c for c, _ in PNL_LINES if c != "cogs"],
        "contribution",
    ]
    frame = df(
        conn,
        f"""
        select store_type, {", ".join(cols)}, contribution_margin_pct, is_estimate
        from marts.fct_ecom_pnl_monthly where brand = ? and month = ? order by store_type""",
        [brand, month],
    )
    sums = {c: float(frame[c].astype(float).sum()) for c in cols}
    totals: dict[str, object] = {
        **sums,
        "contribution_margin_pct": ratio(sums["contribution"], sums["revenue"]),
    }
    estimate = bool(frame["is_estimate"].any())
    steps = [("收入", sums["revenue"])] + [(label, -sums[c]) for c, label in PNL_LINES]
    title = f"{month} 电商 P&L 瀑布图 (两店合计{', 估算' if estimate else ''})"
    chart = charts.waterfall(steps, title, "贡献利润")
    shown = store_label(frame.copy())
    fmt: dict[str, Format] = {**{c: "money" for c in cols}, "contribution_margin_pct": "pct"}
    table = transposed(
        "PnL",
        "电商 P&L 按店铺" + (" (估算)" if estimate else ""),
        shown,
        "store_type",
        [*cols, "contribution_margin_pct"],
        fmt,
        model="fct_ecom_pnl_monthly",
        total=totals,
    )
    notes = ["收入: POP店 = 净销售额; 自营 = 采购入库金额 (sell-in)。贡献利润率 = 贡献利润 ÷ 收入。"]
    if estimate:
        notes.insert(
            0,
            "总账未到: 广告费 = 京准通花费, POP店佣金 = 费率 × 净销售额, 其他费用行为 0 (尚无总账), "
            "贡献利润因此偏高。",
        )
    return Section(
        "电商 P&L", [table], [Chart("pnl", chart), Chart("pnl trend", _pnl_trend(conn, brand, month))], notes
    ), frame


def build_mbr(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> Report:
    start, end = month_bounds(month)
    has_ledger = ledger_months(conn, brand, [month])[month]
    as_of, complete = month_to_date_note(conn, brand, month)
    plan_section, plan = _plan_section(conn, brand, month)
    ads_section, ads = _ads_section(conn, brand, start, end)
    pnl_section, pnl = _pnl_section(conn, brand, month)
    net_sales = fetch_value(
        conn,
        "select sum(net_sales) from marts.fct_sales_daily where brand = ? and date_day between ? and ?",
        [brand, start, end],
    )
    gmv = float(plan["actual_gmv"].astype(float).sum())
    plan_gmv = float(plan["plan_gmv"].astype(float).sum())
    budget_gmv = float(plan["budget_gmv"].astype(float).sum())
    ly = float(plan["ly_actual_gmv"].astype(float).sum())
    ads_cost = float(ads["cost"].astype(float).sum())
    ads_amount = float(ads["total_order_amount"].astype(float).sum())
    customers, customer_keys = customers_section(conn, brand, month)
    regions, region_keys = regions_section(conn, brand, month)
    dq, dq_keys = dq_section(conn, brand, start, end)
    mtd = "" if complete else as_of
    keys = [
        KeyNumber("gmv", "GMV", gmv, note=as_of),
        KeyNumber("plan_gmv", "计划 GMV", plan_gmv, note="全月"),
        KeyNumber("achievement_vs_plan", "计划达成率", ratio(gmv, plan_gmv), "pct", note=mtd),
        KeyNumber("achievement_vs_budget", "预算达成率", ratio(gmv, budget_gmv), "pct", note=mtd),
        KeyNumber("yoy_growth", "同比", ratio(gmv - ly, ly) if ly else None, "pct"),
        KeyNumber("net_sales", "净销售额", None if net_sales is None else float(net_sales), note=mtd),
        KeyNumber("ads_cost", "广告花费", ads_cost, note=mtd),
        KeyNumber("ads_roi", "广告ROI", ratio(ads_amount, ads_cost), "ratio"),
        KeyNumber(
            "contribution",
            "贡献利润",
            float(pnl["contribution"].astype(float).sum()),
            note="估算 (总账未到)" if not has_ledger else "",
        ),
        *customer_keys,
        *region_keys,
        *dq_keys,
    ]
    banners = [] if has_ledger else [open_month_banner(month)]
    if not complete:
        banners.append(f"月度累计: {as_of}, 本月尚未结束。")
    return Report(
        kind="monthly_business_review",
        brand=brand,
        period=month,
        title=f"{brand_name(conn, brand)} 京东月度经营分析 {month}",
        file_stem=f"monthly_business_review_{month}",
        subtitle=f"{start} 至 {end} · 与 BI 同口径",
        key_numbers=keys,
        banners=banners,
        sections=[
            plan_section,
            _store_trend_section(conn, brand, month),
            _traffic_section(conn, brand, start, end),
            ads_section,
            _sku_section(conn, brand, start, end),
            customers,
            regions,
            _opex_section(conn, brand, month, has_ledger),
            pnl_section,
            forecast_vs_actual_section(conn, brand, month),
            accuracy_section(conn, brand, end),
            dq,
        ],
        sources=[
            "fct_plan_vs_actual_monthly",
            "fct_sales_daily",
            "fct_traffic_daily",
            "fct_ads_daily",
            "fct_customer_monthly",
            "fct_customer_cohort",
            "fct_region_budget_vs_actual_monthly",
            "fct_opex_monthly",
            "fct_ecom_pnl_monthly",
            "dim_sku",
            "fct_rolling_plan_3m",
            "fct_demand_forecast",
            "ops.dq_results",
            "ops.quarantine_rows",
        ],
    )
