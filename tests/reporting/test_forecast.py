"""The demand forecast beats the seasonal-naive baseline on synthetic seasonal, campaign-driven demand,
falls back sensibly for short histories, and writes the documented grain to marts.fct_demand_forecast."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from jd_pipeline.forecast.data import FORECAST_TABLE, horizon_for, load_panel, write_forecast
from jd_pipeline.forecast.model import run_forecast, wape


def _synthetic(n_series: int = 40, months: int = 18, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Poisson demand with growth, a yearly cycle and campaign lifts (618 in June, 双11 in November)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2025-01-01", periods=months + 3, freq="MS")
    campaign = np.select([ds.month == 6, ds.month == 11, ds.month == 1], [18, 20, 10], 0).astype(float)
    rows = []
    for i in range(n_series):
        base, growth = rng.uniform(5, 80), rng.uniform(0.0, 0.03)
        lam = base * (1 + growth) ** np.arange(len(ds)) * (1 + 0.15 * np.cos(2 * np.pi * (ds.month - 1) / 12))
        y = rng.poisson(lam * (1 + 0.04 * campaign))
        rows += [(f"b|pop|S{i}", d, float(v), c) for d, v, c in zip(ds, y, campaign)]
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y", "campaign_days"])
    cut = ds[months]
    return frame[frame["ds"] < cut].reset_index(drop=True), frame[frame["ds"] >= cut].reset_index(drop=True)


def test_wape() -> None:
    assert wape([10, 10], [12, 8]) == pytest.approx(0.2)
    assert wape([0, 0], [1, 1]) is None


@pytest.mark.integration
@pytest.mark.parametrize("seed", [7, 11])
def test_backtest_beats_seasonal_naive_on_synthetic_seasonal_data(seed: int) -> None:
    history, future = _synthetic(seed=seed)
    out = run_forecast(history, future[["unique_id", "ds", "campaign_days"]])
    assert out.backtest_wape is not None and out.baseline_wape is not None
    assert out.beats_baseline, (out.backtest_wape, out.baseline_wape, out.groups)
    # and on the truly unseen next 3 months as well
    merged = future.merge(out.forecasts, on=["unique_id", "ds"])
    assert len(merged) == len(future)
    fc_wape = wape(merged["y"], merged["forecast_units"])
    naive = history[history["ds"] >= history["ds"].max() - pd.DateOffset(months=11)]
    naive = naive.assign(ds=naive["ds"] + pd.DateOffset(years=1)).rename(columns={"y": "sn"})
    sn_wape = wape(merged["y"], merged.merge(naive[["unique_id", "ds", "sn"]], on=["unique_id", "ds"])["sn"])
    assert fc_wape < sn_wape
    f = out.forecasts
    assert (f["lower"] <= f["forecast_units"] + 1e-9).all() and (
        f["forecast_units"] <= f["upper"] + 1e-9
    ).all()
    assert (f["forecast_units"] >= 0).all()


@pytest.mark.integration
def test_short_histories_fall_back() -> None:
    history, future = _synthetic(n_series=3, months=18)
    short = history[history["ds"] >= "2026-02-01"].assign(
        unique_id=lambda d: d["unique_id"] + "_new"
    )  # 5 months
    mid = history[history["ds"] >= "2025-08-01"].assign(
        unique_id=lambda d: d["unique_id"] + "_mid"
    )  # 11 months
    year = history[history["ds"] >= "2025-07-01"].assign(
        unique_id=lambda d: d["unique_id"] + "_year"
    )  # 12 months
    fut = pd.concat(
        [future.assign(unique_id=future["unique_id"] + sfx) for sfx in ("", "_new", "_mid", "_year")]
    )
    out = run_forecast(pd.concat([history, short, mid, year]), fut[["unique_id", "ds", "campaign_days"]])
    groups = {g.history_class: g for g in out.groups}
    assert set(groups) == {"seasonal", "short"}  # annual and tiny have no backtest
    assert groups["short"].baseline_model == "Naive" and groups["seasonal"].baseline_model == "SeasonalNaive"
    f = out.forecasts.set_index("unique_id")
    assert set(f.loc[[u for u in f.index if u.endswith("_new")], "model"]) == {"Naive"}
    assert set(f.loc[[u for u in f.index if u.endswith("_new")], "history_class"]) == {"tiny"}
    # 12 months: seasonal naive cannot be scored yet, so it is published as it stands
    year_fc = out.forecasts[out.forecasts["unique_id"].str.endswith("_year")].merge(
        year.assign(ds=year["ds"] + pd.DateOffset(years=1)), on=["unique_id", "ds"]
    )
    assert (year_fc["model"] == "SeasonalNaive").all() and len(year_fc) == 9
    assert np.allclose(year_fc["forecast_units"], year_fc["y"])
    assert out.forecasts.groupby("unique_id").size().eq(3).all()
    assert len(out.forecasts) == 12 * 3


def test_horizon() -> None:
    assert horizon_for(date(2026, 6, 30)).months == (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1))
    assert horizon_for(date(2026, 6, 15)).months == (date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1))
    assert horizon_for(date(2026, 12, 31)).months[-1] == date(2027, 3, 1)


@pytest.mark.integration
def test_panel_and_table_grain(tmp_path) -> None:
    """Monthly units from fct_sales_daily (gaps filled with 0), campaign days from the plan; one row per
    as_of_date × brand × store_type × sku_id × month; a re-run replaces its as_of_date."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.execute("""
            create schema marts; create schema staging;
            create table marts.fct_sales_daily as
            select d::date as date_day, 'b' as brand, 'pop' as store_type, 'K1' as sku_id,
                   (10 + (month(d) = 6)::int * 20)::bigint as units
            from generate_series(date '2025-01-01', date '2026-06-30', interval 7 day) t(d)
            where not (year(d) = 2025 and month(d) = 3);
            create table staging.stg_tp_campaign_plan__campaign_resources as
            select 'b' as brand, 'pop' as store_type, date '2026-06-01' as warmup_start,
                   date '2026-06-05' as start_date, date '2026-06-18' as end_date;
        """)
        hz = horizon_for(date(2026, 6, 30))
        history, future = load_panel(conn, hz)
        assert len(history) == 18 and history["y"].iloc[2] == 0  # March 2025 had no sales
        assert history.loc[history["ds"] == "2026-06-01", "campaign_days"].item() == 18
        output = run_forecast(history, future)
        rows = write_forecast(conn, hz, output, history, future)
        rows_again = write_forecast(conn, hz, output, history, future)
        kind, klass = conn.execute(
            f"select any_value(forecast_kind), any_value(history_class) from {FORECAST_TABLE}"
        ).fetchone()
        assert (kind, klass) == ("model", "seasonal")
        dupes = conn.execute(
            f"select count(*) from (select 1 from {FORECAST_TABLE} group by as_of_date, brand, "
            "store_type, sku_id, month having count(*) > 1)"
        ).fetchone()[0]
        total = conn.execute(f"select count(*), min(month), max(month) from {FORECAST_TABLE}").fetchone()
    assert rows == rows_again == 3 and dupes == 0
    assert total == (3, "2026-07", "2026-09")


@pytest.mark.integration
def test_parallel_fit_gives_the_same_forecast(monkeypatch):
    """statsforecast's process pool (JD_FORECAST_JOBS) must not change a single number."""
    from jd_pipeline.forecast import model

    panel, future = _synthetic(n_series=210, months=18)
    future = future[["unique_id", "ds", "campaign_days"]]
    monkeypatch.setenv("JD_FORECAST_JOBS", "1")
    serial = model.run_forecast(panel, future).forecasts
    monkeypatch.setenv("JD_FORECAST_JOBS", "2")
    assert model.forecast_jobs(210) == 2 and model.forecast_jobs(10) == 1
    parallel = model.run_forecast(panel, future).forecasts
    key = ["unique_id", "ds"]
    pd.testing.assert_frame_equal(
        serial.sort_values(key).reset_index(drop=True), parallel.sort_values(key).reset_index(drop=True)
    )
