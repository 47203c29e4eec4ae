"""The monthly business review's customers section (POP buyers: new vs returning, repeat rate,
cohort retention heat map) and regions section (regional budget vs actual), from the marts only."""

from __future__ import annotations

import duckdb
import pandas as pd

from jd_pipeline.reporting import charts
from jd_pipeline.reporting.model import Chart, Format, KeyNumber, Section, Table
from jd_pipeline.reporting.queries import df, ratio, store_label

SEGMENT_LABELS = {"new": "新客", "returning": "老客"}
COHORT_MONTHS = 12  # cohorts and months_since shown in the heat map
TREND_MONTHS = 12


def _customer_trend(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> pd.DataFrame:
    """One row per month (the last 12 up to `month`): new and returning buyers, repeat rate."""
    return df(
        conn,
        """
        select month,
               sum(buyers) filter (where segment = 'new')       as new_buyers,
               sum(buyers) filter (where segment = 'returning') as returning_buyers,
               sum(buyers)                                      as buyers,
               sum(gmv) filter (where segment = 'new')          as new_gmv,
               sum(gmv) filter (where segment = 'returning')    as returning_gmv,
               sum(multi_order_buyers) / nullif(sum(buyers), 0) as repeat_rate,
               sum(buyers) filter (where segment = 'returning') / nullif(sum(buyers), 0) as returning_share,
               bool_or(is_history_short)                        as is_history_short
        from marts.fct_customer_monthly
        where brand = ? and month <= ?
          and month > strftime(cast(? || '-01' as date) - interval 12 month, '%Y-%m')
        group by month order by month""",
        [brand, month, month],
    )


def _segments(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> pd.DataFrame:
    frame = df(
        conn,
        """
        select segment, buyers, orders, units, gmv, net_sales, multi_order_buyers, repeat_rate,
               gmv / nullif(buyers, 0) as gmv_per_buyer, history_months, is_history_short
        from marts.fct_customer_monthly where brand = ? and month = ? order by segment""",
        [brand, month],
    )
    frame["segment"] = frame["segment"].map(lambda s: SEGMENT_LABELS.get(s, s))
    return frame


def _cohorts(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> pd.DataFrame:
    """The last 12 cohorts up to `month`, their retention at months_since 0..11 as of `month`."""
    return df(
        conn,
        """
        select cohort_month, months_since, cohort_buyers, active_buyers, retention_rate, gmv, is_history_short
        from marts.fct_customer_cohort
        where brand = ? and cohort_month <= ? and activity_month <= ? and months_since < ?
          and cohort_month > strftime(cast(? || '-01' as date) - interval 12 month, '%Y-%m')
        order by cohort_month, months_since""",
        [brand, month, month, COHORT_MONTHS, month],
    )


def _heatmap(cohorts: pd.DataFrame, month: str) -> bytes:
    names = sorted(cohorts["cohort_month"].unique())
    width = int(cohorts["months_since"].max()) + 1 if len(cohorts) else 1
    cells: dict[tuple[str, int], float] = {
        (c, int(k)): float(r)
        for c, k, r in zip(cohorts["cohort_month"], cohorts["months_since"], cohorts["retention_rate"])
    }
    values = [[cells.get((c, k)) for k in range(width)] for c in names]
    labels = [
        f"{c}{' *' if short else ''}"
        for c, short in cohorts.groupby("cohort_month")["is_history_short"].max().reindex(names).items()
    ]
    return charts.heatmap(
        labels,
        [f"+{k}" for k in range(width)],
        values,
        f"首购月份留存率 (截至 {month}; * = 之前历史不足12个月)",
        "距首购月数",
        "首购月份",
    )


def customers_section(
    conn: duckdb.DuckDBPyConnection, brand: str, month: str
) -> tuple[Section, list[KeyNumber]]:
    trend = _customer_trend(conn, brand, month)
    segments = _segments(conn, brand, month)
    cohorts = _cohorts(conn, brand, month)
    new = segments[segments["segment"] == SEGMENT_LABELS["new"]]
    ret = segments[segments["segment"] == SEGMENT_LABELS["returning"]]
    buyers = float(segments["buyers"].sum()) if len(segments) else None
    keys = [
        KeyNumber("new_buyers", "新客数", float(new["buyers"].sum()) if len(new) else None, "int"),
        KeyNumber("returning_buyers", "老客数", float(ret["buyers"].sum()) if len(ret) else None, "int"),
        KeyNumber(
            "repeat_rate",
            "复购率",
            ratio(segments["multi_order_buyers"].sum(), buyers) if buyers else None,
            "pct",
        ),
    ]
    notes = [
        (
            "新客 = 首次成交在本月的买家 (按加密后的下单帐号, 仅POP店); 老客 = 首次成交在更早月份。"
            "复购率 = 本月成交2单及以上的买家 ÷ 本月成交买家。留存率 = 首购月份的买家中在该月再次成交的比例。"
        )
    ]
    if len(segments) and bool(segments["is_history_short"].any()):
        notes.append(
            f"注意: 本月之前只有 {int(segments['history_months'].max())} 个完整月的订单历史 (不足12个月), "
            "部分“新客”可能是更早历史未导入的老客。"
        )
    charts_out = [
        Chart(
            "new vs returning",
            charts.stacked_bars(
                trend["month"],
                {"新客": trend["new_buyers"], "老客": trend["returning_buyers"]},
                "成交买家: 新客 vs 老客 (近12个月)",
            ),
        ),
        Chart(
            "repeat rate",
            charts.lines(
                trend["month"],
                {
                    "复购率 %": trend["repeat_rate"].astype(float) * 100,
                    "老客占比 %": trend["returning_share"].astype(float) * 100,
                },
                "复购率与老客占比 (近12个月, %)",
                unit="%",
            ),
        ),
    ]
    if len(cohorts):
        charts_out.append(Chart("cohort heat map", _heatmap(cohorts, month)))
    seg_fmt: dict[str, Format] = {
        "buyers": "int",
        "orders": "int",
        "units": "int",
        "gmv": "money",
        "net_sales": "money",
        "multi_order_buyers": "int",
        "repeat_rate": "pct",
        "gmv_per_buyer": "money",
        "history_months": "int",
        "is_history_short": "bool",
    }
    trend_fmt: dict[str, Format] = {
        "new_buyers": "int",
        "returning_buyers": "int",
        "buyers": "int",
        "new_gmv": "money",
        "returning_gmv": "money",
        "repeat_rate": "pct",
        "returning_share": "pct",
        "is_history_short": "bool",
    }
    cohort_fmt: dict[str, Format] = {
        "months_since": "int",
        "cohort_buyers": "int",
        "active_buyers": "int",
        "retention_rate": "pct",
        "gmv": "money",
        "is_history_short": "bool",
    }
    section = Section(
        "客户: 新客 vs 老客, 复购与留存 (POP店)",
        tables=[
            Table("客户分层", f"{month} 新客 vs 老客", segments, seg_fmt, model="fct_customer_monthly"),
            Table("客户趋势", "近12个月 新客/老客与复购率", trend, trend_fmt, model="fct_customer_monthly"),
            Table("首购留存", "首购月份留存", cohorts, cohort_fmt, model="fct_customer_cohort"),
        ],
        charts=charts_out,
        notes=notes,
    )
    return section, keys


def _region_frame(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> pd.DataFrame:
    return df(
        conn,
        """
        select store_type, region, budget_gmv, plan_gmv, actual_gmv, achievement_vs_plan, achievement_vs_budget,
               is_estimate
        from marts.fct_region_budget_vs_actual_monthly
        where brand = ? and month = ?
        order by store_type, case when region = '未分配' then 1 else 0 end, actual_gmv desc, region""",
        [brand, month],
    )


def regions_section(
    conn: duckdb.DuckDBPyConnection, brand: str, month: str
) -> tuple[Section, list[KeyNumber]]:
    frame = _region_frame(conn, brand, month)
    by_region = frame.groupby("region", sort=False)[["budget_gmv", "plan_gmv", "actual_gmv"]].sum(min_count=1)
    by_region = by_region.reset_index()
    unassigned = frame.loc[frame["region"] == "未分配", "actual_gmv"].astype(float).sum()
    total = frame["actual_gmv"].astype(float).sum()
    keys = [
        KeyNumber(
            "region_unassigned_share", "未分配大区占比", ratio(unassigned, total) if total else None, "pct"
        )
    ]
    chart = charts.grouped_bars(
        by_region["region"],
        {"实际": by_region["actual_gmv"], "计划": by_region["plan_gmv"], "预算": by_region["budget_gmv"]},
        f"{month} 大区 GMV 实际 vs 计划 vs 预算 (两店合计)",
    )
    out = frame.copy()
    store_label(out)
    fmt: dict[str, Format] = {
        "budget_gmv": "money",
        "plan_gmv": "money",
        "actual_gmv": "money",
        "achievement_vs_plan": "pct",
        "achievement_vs_budget": "pct",
        "is_estimate": "bool",
    }
    notes = [
        (
            "预算 = 区域预算第一个版本; 计划 = 最新发布的版本。自营的大区实际为估算: 各配送中心出库件数 × 当月该SKU"
            "平均单件收入 (京东不提供自营零售的地区)。"
        )
    ]
    if unassigned:
        notes.append(
            "未分配 = 省份或配送中心不在最新的大区主数据中 (或订单无省份), 请销售运营补全大区主数据。"
        )
    section = Section(
        "大区: 预算 vs 实际",
        tables=[
            Table(
                "大区预算达成", f"{month} 大区预算达成", out, fmt, model="fct_region_budget_vs_actual_monthly"
            )
        ],
        charts=[Chart("regions", chart)],
        notes=notes,
    )
    return section, keys
