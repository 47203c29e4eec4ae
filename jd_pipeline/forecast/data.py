"""Warehouse side of the demand forecast: monthly panels in DuckDB SQL, results back to `marts`.

History = monthly units per brand × store × SKU from `marts.fct_sales_daily`, complete months only
(the month of `as_of_date` counts when `as_of_date` is its last day), from each series' first
selling month, gaps filled with 0. `campaign_days` per brand × store × month = distinct days covered
by a campaign (warm-up to end) of the brand's `tp_campaign_plan` for that store or 全部, or of JD's
platform calendar (seed `jd_campaign_calendar`), so future months have the feature too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from jd_pipeline.forecast.model import HORIZON, LEVEL, ForecastOutput
from jd_pipeline.warehouse import table_exists, transaction

FORECAST_TABLE = "marts.fct_demand_forecast"

DDL = f"""
CREATE SCHEMA IF NOT EXISTS marts;
CREATE TABLE IF NOT EXISTS {FORECAST_TABLE} (
    as_of_date DATE NOT NULL,
    brand VARCHAR NOT NULL,
    store_type VARCHAR NOT NULL,
    sku_id VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    month_start DATE NOT NULL,
    forecast_units DOUBLE NOT NULL,
    lower DOUBLE,
    upper DOUBLE,
    interval_level INTEGER,
    model VARCHAR NOT NULL,
    history_months INTEGER,
    campaign_days INTEGER,
    backtest_wape DOUBLE,
    baseline_model VARCHAR,
    baseline_wape DOUBLE,
    portfolio_backtest_wape DOUBLE,
    portfolio_baseline_wape DOUBLE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of_date, brand, store_type, sku_id, month)
)
"""
# Columns added after the first release: added in place to a warehouse that already has the table.
ADDED_COLUMNS = {
    "category": "VARCHAR",
    "subcategory": "VARCHAR",
    "forecast_kind": "VARCHAR",
    "history_class": "VARCHAR",
    "backtest_windows": "INTEGER",
    "group_backtest_wape": "DOUBLE",
    "group_baseline_wape": "DOUBLE",
    "interval_coverage": "DOUBLE",
}


@dataclass(frozen=True)
class Horizon:
    as_of_date: date
    history_end: date  # first day of the first month not fully observed
    months: tuple[date, ...]


def horizon_for(as_of_date: date, horizon: int = HORIZON) -> Horizon:
    """Forecast months = the first `horizon` months not fully observed at `as_of_date`."""
    next_day = as_of_date + timedelta(days=1)
    first = next_day.replace(day=1) if next_day.day == 1 else as_of_date.replace(day=1)
    months = []
    current = first
    for _ in range(horizon):
        months.append(current)
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Horizon(as_of_date, first, tuple(months))


def _campaign_sql(conn: duckdb.DuckDBPyConnection) -> str:
    """Campaign spans (brand, store_scope, first_day, last_day) from what exists in the warehouse."""
    parts = []
    if table_exists(conn, "staging", "stg_tp_campaign_plan__campaign_resources"):
        parts.append(
            "select distinct brand, coalesce(store_type, 'all') as scope, coalesce(warmup_start, start_date) as d0, "
            "end_date as d1 from staging.stg_tp_campaign_plan__campaign_resources where end_date is not null"
        )
    if table_exists(conn, "reference", "jd_campaign_calendar"):
        parts.append(
            "select b.brand, 'all', cast(c.warmup_start as date), cast(c.end_date as date) "
            "from reference.jd_campaign_calendar c cross join (select distinct brand from marts.fct_sales_daily) b"
        )
    if not parts:
        return "select null::varchar brand, null::varchar scope, null::date d0, null::date d1 where false"
    return " union all ".join(parts)


def load_series(conn: duckdb.DuckDBPyConnection, history: pd.DataFrame) -> pd.DataFrame:
    """Product master per series (index unique_id): brand, store_type, sku_id, category, subcategory,
    launch_date, delist_date, status. SKUs of the master without sales are included (new SKUs)."""
    if not table_exists(conn, "marts", "dim_sku"):
        return _unmapped(pd.Index(history["unique_id"].unique()))
    frame = (
        conn.execute("""
        select brand || '|' || store_type || '|' || sku_id as unique_id, brand, store_type, sku_id,
               coalesce(category, '(unmapped)') as category, coalesce(subcategory, '(unmapped)') as subcategory,
               launch_date, delist_date, status
        from marts.dim_sku where store_type in ('pop', 'self')
    """)
        .df()
        .set_index("unique_id")
    )
    for col in ("launch_date", "delist_date"):
        frame[col] = pd.to_datetime(frame[col])
    missing = pd.Index(history["unique_id"].unique()).difference(frame.index)
    return pd.concat([frame, _unmapped(missing)]) if len(missing) else frame


def _unmapped(ids: pd.Index) -> pd.DataFrame:
    """Series that sold but are not in the product master: one (unmapped) group, no life-cycle dates."""
    parts = ids.to_series().str.split("|", n=2, expand=True) if len(ids) else pd.DataFrame(columns=[0, 1, 2])
    return pd.DataFrame(
        {
            "brand": parts[0],
            "store_type": parts[1],
            "sku_id": parts[2],
            "category": "(unmapped)",
            "subcategory": "(unmapped)",
            "launch_date": pd.NaT,
            "delist_date": pd.NaT,
            "status": None,
        },
        index=ids,
    )


def load_panel(conn: duckdb.DuckDBPyConnection, hz: Horizon) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history panel, future exogenous frame) with unique_id = brand|store_type|sku_id."""
    months_sql = ", ".join(f"DATE '{m.isoformat()}'" for m in hz.months)
    sql = f"""
    with monthly as (
        select brand, store_type, sku_id, cast(date_trunc('month', date_day) as date) as ds, sum(units) as y
        from marts.fct_sales_daily
        where date_day < DATE '{hz.history_end.isoformat()}'
        group by all
    ),
    bounds as (
        select brand, store_type, sku_id, min(ds) as first_ds from monthly where y > 0 group by all
    ),
    grid as (
        select b.brand, b.store_type, b.sku_id, cast(g.ds as date) as ds
        from bounds b,
             lateral (select unnest(generate_series(b.first_ds,
                      DATE '{hz.history_end.isoformat()}' - interval 1 month, interval 1 month)) as ds) g
        union all
        select b.brand, b.store_type, b.sku_id, m.ds
        from bounds b, (select unnest([{months_sql}]) as ds) m
    ),
    spans as ({_campaign_sql(conn)}),
    days as (
        select s.brand, st.store_type, cast(unnest(generate_series(s.d0, s.d1, interval 1 day)) as date) as day
        from spans s
        join (select 'pop' as store_type union all select 'self') st
          on s.scope in ('all', st.store_type)
    ),
    campaign as (
        select brand, store_type, cast(date_trunc('month', day) as date) as ds, count(distinct day) as campaign_days
        from days group by all
    )
    select g.brand || '|' || g.store_type || '|' || g.sku_id as unique_id, g.ds,
           coalesce(m.y, 0)::double as y, coalesce(c.campaign_days, 0)::double as campaign_days,
           g.ds >= DATE '{hz.history_end.isoformat()}' as is_future
    from grid g
    left join monthly m using (brand, store_type, sku_id, ds)
    left join campaign c using (brand, store_type, ds)
    order by unique_id, g.ds
    """
    frame = conn.execute(sql).df()
    frame["ds"] = pd.to_datetime(frame["ds"])
    history = frame[~frame["is_future"]].drop(columns="is_future").reset_index(drop=True)
    future = frame[frame["is_future"]].drop(columns=["is_future", "y"]).reset_index(drop=True)
    return history, future


def write_forecast(
    conn: duckdb.DuckDBPyConnection,
    hz: Horizon,
    output: ForecastOutput,
    history: pd.DataFrame,
    future: pd.DataFrame,
    series: pd.DataFrame | None = None,
) -> int:
    """Replace the rows of `as_of_date` in marts.fct_demand_forecast; returns rows written."""
    conn.execute(DDL)
    present = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'fct_demand_forecast'"
        ).fetchall()
    }
    for name, kind in ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f"alter table {FORECAST_TABLE} add column {name} {kind}")
    fc = output.forecasts.copy()
    if fc.empty:
        conn.execute(f"delete from {FORECAST_TABLE} where as_of_date = ?", [hz.as_of_date])
        return 0
    lengths = history.groupby("unique_id")["ds"].count().rename("history_months")
    fc = fc.merge(lengths, left_on="unique_id", right_index=True, how="left")
    fc = fc.merge(future, on=["unique_id", "ds"], how="left")
    parts = fc["unique_id"].str.split("|", n=2, expand=True)
    fc["brand"], fc["store_type"], fc["sku_id"] = parts[0], parts[1], parts[2]
    if series is not None and len(series):
        fc = fc.join(series[["category", "subcategory"]], on="unique_id")
    for col in (
        "category",
        "subcategory",
        "forecast_kind",
        "history_class",
        "backtest_windows",
        "group_backtest_wape",
        "group_baseline_wape",
        "interval_coverage",
        "backtest_wape",
        "baseline_model",
        "baseline_wape",
        "campaign_days",
        "history_months",
    ):
        if col not in fc:
            fc[col] = None
    fc["history_months"] = fc["history_months"].fillna(0)
    fc["portfolio_backtest_wape"] = output.backtest_wape
    fc["portfolio_baseline_wape"] = output.baseline_wape
    conn.register("fc_frame", fc)
    try:
        with transaction(conn):
            conn.execute(f"delete from {FORECAST_TABLE} where as_of_date = ?", [hz.as_of_date])
            conn.execute(
                f"""insert into {FORECAST_TABLE} by name
                select ?::date as as_of_date, brand, store_type, sku_id, strftime(ds, '%Y-%m') as month,
                       cast(ds as date) as month_start, round(forecast_units, 2) as forecast_units,
                       round(lower, 2) as lower, round(upper, 2) as upper, {LEVEL} as interval_level, model,
                       cast(history_months as integer) as history_months,
                       cast(campaign_days as integer) as campaign_days, backtest_wape, baseline_model, baseline_wape,
                       portfolio_backtest_wape, portfolio_baseline_wape, now()::timestamp as created_at,
                       category, subcategory, forecast_kind, history_class,
                       cast(backtest_windows as integer) as backtest_windows, group_backtest_wape,
                       group_baseline_wape, interval_coverage
                from fc_frame""",
                [hz.as_of_date],
            )
    finally:
        conn.unregister("fc_frame")
    return len(fc)
