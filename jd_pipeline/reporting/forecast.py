"""Forecast sections shared by the business review and the rolling-plan report: forecast vs plan vs
actual, the next 3 months' plan vs forecast, backtest accuracy by category, weak series."""

from __future__ import annotations

from datetime import date

import duckdb

from jd_pipeline.periods import month_bounds
from jd_pipeline.reporting import charts
from jd_pipeline.reporting.model import Chart, Format, Section, Table
from jd_pipeline.reporting.queries import df, store_label
from jd_pipeline.warehouse import fetch_value, table_exists

# A series is flagged when its backtest WAPE is above this, or above its own baseline's.
WEAK_WAPE = 0.5
WEAK_ROWS = 20


def _has_forecast(conn: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(conn, "marts", "fct_demand_forecast") and table_exists(
        conn, "marts", "fct_rolling_plan_3m"
    )


def latest_as_of(conn: duckdb.DuckDBPyConnection, brand: str, on_or_before: date) -> date | None:
    if not table_exists(conn, "marts", "fct_demand_forecast"):
        return None
    row = conn.execute(
        "select max(as_of_date) from marts.fct_demand_forecast where brand = ? and as_of_date <= ?",
        [brand, on_or_before],
    ).fetchone()
    return row[0] if row else None


def forecast_vs_actual_section(conn: duckdb.DuckDBPyConnection, brand: str, month: str) -> Section:
    """The month as forecast before it began (the latest forecast made before its first day) beside the
    current plan and the actual, by store and category."""
    if not _has_forecast(conn):
        return Section("预测 vs 计划 vs 实际", notes=["尚无需求预测 (预测尚未生成)。"])
    start, _ = month_bounds(month)
    frame = df(
        conn,
        """
        with fc as (
            select store_type, category, plan_gmv, forecast_gmv, forecast_gmv_lower, forecast_gmv_upper
            from marts.fct_rolling_plan_3m
            where brand = ? and month = ? and as_of_date < ?
            qualify as_of_date = max(as_of_date) over ()
        ), actual as (
            select store_type, category, actual_gmv, plan_gmv as plan_now
            from marts.fct_plan_vs_actual_monthly where brand = ? and month = ?
        )
        select coalesce(f.store_type, a.store_type) as store_type, coalesce(f.category, a.category) as category,
               coalesce(a.plan_now, f.plan_gmv) as plan_gmv, f.forecast_gmv, f.forecast_gmv_lower,
               f.forecast_gmv_upper, a.actual_gmv,
               (f.forecast_gmv - a.actual_gmv) / nullif(a.actual_gmv, 0) as forecast_error,
               a.actual_gmv / nullif(coalesce(a.plan_now, f.plan_gmv), 0) as achievement_vs_plan,
               a.actual_gmv between f.forecast_gmv_lower and f.forecast_gmv_upper as within_interval
        from fc f full join actual a on a.store_type = f.store_type and a.category = f.category
        order by 1, 2""",
        [brand, month, start, brand, month],
    )
    as_of = fetch_value(
        conn,
        "select max(as_of_date) from marts.fct_rolling_plan_3m where brand = ? and month = ? "
        "and as_of_date < ?",
        [brand, month, start],
    )
    store_label(frame)
    labels = [f"{s}·{c}" for s, c in zip(frame["store_type"], frame["category"])]
    chart = charts.grouped_bars(
        labels,
        {"实际": frame["actual_gmv"], "预测": frame["forecast_gmv"], "计划": frame["plan_gmv"]},
        f"{month} GMV 预测 vs 计划 vs 实际",
    )
    fmt: dict[str, Format] = {
        "plan_gmv": "money",
        "forecast_gmv": "money",
        "forecast_gmv_lower": "money",
        "forecast_gmv_upper": "money",
        "actual_gmv": "money",
        "forecast_error": "pct",
        "achievement_vs_plan": "pct",
        "within_interval": "bool",
    }
    made = f"预测于 {as_of} 做出 (月初之前的最新一次)" if as_of else "本月开始之前没有预测"
    return Section(
        "预测 vs 计划 vs 实际 (按店铺与品类)",
        [Table("预测vs实际", f"{month} 预测 vs 计划 vs 实际", frame, fmt, model="fct_rolling_plan_3m")],
        [Chart("forecast vs actual", chart)],
        [made + "; 预测误差 = (预测 − 实际) ÷ 实际; 区间 = 80% 预测区间 (SKU 区间之和)。"],
    )


def rolling_plan_section(conn: duckdb.DuckDBPyConnection, brand: str, as_of: date) -> Section:
    """The next 3 months: current plan vs forecast (with its 80 % band) by store and category."""
    if not _has_forecast(conn):
        return Section("未来3个月: 计划 vs 预测", notes=["尚无需求预测。"])
    frame = df(
        conn,
        """
        select month, store_type, category, plan_gmv, forecast_gmv, forecast_gmv_lower, forecast_gmv_upper,
               gap, gap_pct, forecast_units
        from marts.fct_rolling_plan_3m
        where brand = ? and as_of_date = (select max(as_of_date) from marts.fct_rolling_plan_3m
                                          where brand = ? and as_of_date <= ?)
        order by month, store_type, category""",
        [brand, brand, as_of],
    )
    totals = frame.groupby("month", as_index=False)[["plan_gmv", "forecast_gmv"]].sum()
    chart = charts.grouped_bars(
        totals["month"],
        {"计划": totals["plan_gmv"], "预测": totals["forecast_gmv"]},
        "未来3个月 GMV: 计划 vs 预测 (两店合计)",
        sort=False,
    )
    store_label(frame)
    fmt: dict[str, Format] = {
        "plan_gmv": "money",
        "forecast_gmv": "money",
        "forecast_gmv_lower": "money",
        "forecast_gmv_upper": "money",
        "gap": "money",
        "gap_pct": "pct",
        "forecast_units": "int",
    }
    return Section(
        "未来3个月: 计划 vs 预测 (滚动计划)",
        [Table("滚动计划", "滚动3个月计划 vs 预测", frame, fmt, model="fct_rolling_plan_3m")],
        [Chart("rolling plan", chart)],
        ["预测 − 计划: 负数 = 预测低于计划; 品类预测 = 其 SKU 预测之和。"],
    )


def accuracy_section(conn: duckdb.DuckDBPyConnection, brand: str, as_of: date) -> Section:
    """Backtest accuracy of the latest forecast by store × category (and history class), weak series."""
    fc_as_of = latest_as_of(conn, brand, as_of)
    if fc_as_of is None:
        return Section("预测准确度 (回测)", notes=["尚无需求预测。"])
    groups = df(
        conn,
        """
        select store_type, category, history_class, any_value(model) filter (where forecast_kind = 'model') as model,
               count(distinct sku_id) as series, max(backtest_windows) as windows,
               max(group_backtest_wape) as backtest_wape, max(group_baseline_wape) as baseline_wape,
               any_value(baseline_model) as baseline, max(interval_coverage) as coverage_80
        from marts.fct_demand_forecast
        where brand = ? and as_of_date = ? and forecast_kind = 'model' and group_backtest_wape is not null
        group by all order by store_type, category, history_class""",
        [brand, fc_as_of],
    )
    weak = df(
        conn,
        f"""
        select f.store_type, f.sku_id, d.sku_name, f.category, any_value(f.model) as model,
               any_value(f.backtest_wape) as backtest_wape, any_value(f.baseline_wape) as baseline_wape,
               sum(f.forecast_units) as forecast_units_3m
        from marts.fct_demand_forecast f
        left join marts.dim_sku d on d.brand = f.brand and d.sku_id = f.sku_id
        where f.brand = ? and f.as_of_date = ? and f.forecast_kind = 'model'
          and (f.backtest_wape > {WEAK_WAPE} or f.backtest_wape > f.baseline_wape)
        group by all order by forecast_units_3m desc limit {WEAK_ROWS}""",
        [brand, fc_as_of],
    )
    n_weak = fetch_value(
        conn,
        f"""
        select count(distinct store_type || sku_id) from marts.fct_demand_forecast
        where brand = ? and as_of_date = ? and forecast_kind = 'model'
          and (backtest_wape > {WEAK_WAPE} or backtest_wape > baseline_wape)""",
        [brand, fc_as_of],
    )
    store_label(groups)
    store_label(weak)
    fmt: dict[str, Format] = {
        "series": "int",
        "windows": "int",
        "backtest_wape": "pct",
        "baseline_wape": "pct",
        "coverage_80": "pct",
    }
    weak_fmt: dict[str, Format] = {"backtest_wape": "pct", "baseline_wape": "pct", "forecast_units_3m": "int"}
    return Section(
        "预测准确度 (回测, 按品类) 与弱预测 SKU",
        [
            Table(
                "预测准确度",
                f"滚动回测 WAPE vs 基准 (预测于 {fc_as_of})",
                groups,
                fmt,
                model="fct_sales_daily",
            ),
            Table(
                "弱预测SKU",
                f"弱预测 SKU: 回测 WAPE > {WEAK_WAPE:.0%} 或高于基准 (共 {n_weak} 个, 按预测量前{WEAK_ROWS})",
                weak,
                weak_fmt,
                model="dim_sku",
            ),
        ],
        notes=[
            (
                "每个选择组 (历史长度 × 店铺 × 品类) 的模型在多个滚动起点上选出, 基准 (季节性朴素/朴素) 也是候选,"
                " 故组内回测 WAPE 不高于基准。80% 区间覆盖率 = 最后一个起点上 80% 区间的实际覆盖率 (目标 70–90%)。"
            )
        ],
    )
