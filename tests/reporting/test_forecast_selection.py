"""Hand-made series with known answers: the baseline stands where nothing beats it, campaign months from
the plan lift the forecast, a new SKU follows its subcategory's launch curve, a delisted SKU goes to zero."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from jd_pipeline.forecast.data import horizon_for, load_panel
from jd_pipeline.forecast.lifecycle import launch_curves
from jd_pipeline.forecast.model import run_forecast, wape
from jd_pipeline.forecast.pipeline import make_forecast

MONTHS = pd.date_range("2024-07-01", periods=24, freq="MS")  # history 2024-07 .. 2026-06
FUTURE = tuple(d.date() for d in pd.date_range("2026-07-01", periods=3, freq="MS"))


def _panel(series: dict[str, np.ndarray], campaign: np.ndarray | None = None) -> pd.DataFrame:
    cd = np.zeros(len(MONTHS)) if campaign is None else campaign
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": MONTHS[-len(y) :],
                    "y": y.astype(float),
                    "campaign_days": cd[-len(y) :],
                }
            )
            for uid, y in series.items()
        ],
        ignore_index=True,
    )


def _future(ids: list[str], campaign: list[float] | None = None) -> pd.DataFrame:
    cd = campaign or [0.0, 0.0, 0.0]
    return pd.DataFrame(
        [(u, pd.Timestamp(m), c) for u in ids for m, c in zip(FUTURE, cd)],
        columns=["unique_id", "ds", "campaign_days"],
    )


@pytest.mark.integration
def test_seasonal_naive_stands_where_nothing_beats_it() -> None:
    """A pattern that repeats exactly every year: seasonal naive is perfect on the backtest, so it is
    chosen (ties go to the baseline) and the forecast is the same month last year."""
    rng = np.random.default_rng(3)
    year = {f"b|pop|K{i}": rng.integers(5, 200, 12) for i in range(6)}
    series = {uid: np.tile(y, 2) for uid, y in year.items()}
    out = run_forecast(_panel(series), _future(list(series)))
    (group,) = out.groups
    assert group.chosen_model == "SeasonalNaive" and group.backtest_wape == 0.0
    assert group.windows == 4  # 24 months: the cap, not the single window of the old selection
    assert group.candidate_wape["Naive"] > 0.3  # the others are worse or (seasonal models) tie it
    f = out.forecasts.sort_values(["unique_id", "ds"])
    for uid, y in year.items():  # July..September = positions 0..2 of the year starting in July
        assert f.loc[f["unique_id"] == uid, "forecast_units"].tolist() == pytest.approx(y[:3].astype(float))


@pytest.mark.integration
def test_published_backtest_never_worse_than_baseline_in_any_group() -> None:
    """Two categories with different shapes (one trending, one noisy): each group picks its own model and
    no group's backtest WAPE is above its baseline's."""
    rng = np.random.default_rng(5)
    t = np.arange(len(MONTHS))
    series, meta = {}, []
    for i in range(8):
        series[f"b|pop|T{i}"] = rng.poisson(20 + 4 * t)  # trend: seasonal naive lags a year behind
        meta.append((f"b|pop|T{i}", "pop", "trend"))
        series[f"b|self|N{i}"] = rng.poisson(np.full(len(t), 30.0))  # flat noise
        meta.append((f"b|self|N{i}", "self", "noise"))
    cats = pd.DataFrame(meta, columns=["unique_id", "store_type", "category"]).set_index("unique_id")
    out = run_forecast(_panel(series), _future(list(series)), cats)
    assert {(g.store_type, g.category) for g in out.groups} == {("pop", "trend"), ("self", "noise")}
    for g in out.groups:
        assert g.backtest_wape <= g.baseline_wape
        assert g.candidate_wape[g.chosen_model] == min(g.candidate_wape.values())
    trend = next(g for g in out.groups if g.category == "trend")
    assert trend.chosen_model != "SeasonalNaive" and trend.backtest_wape < 0.5 * trend.baseline_wape
    # the published per-series figures are the chosen model's own backtest rows
    bt = out.backtest[out.backtest["unique_id"] == "b|pop|T0"]
    row = out.forecasts[out.forecasts["unique_id"] == "b|pop|T0"].iloc[0]
    assert row["backtest_wape"] == pytest.approx(wape(bt["y"], bt["chosen"]))
    assert row["backtest_windows"] == 4


@pytest.mark.integration
def test_campaign_months_lift_the_forecast() -> None:
    """Demand = 40 + 6 × campaign days, the campaigns in different months each year (seasonal naive
    cannot know them). The next campaign comes from the plan: its month is forecast with the lift."""
    cd = np.zeros(len(MONTHS))
    cd[[2, 5, 9, 13, 16, 21]] = [18, 12, 20, 15, 19, 10]
    rng = np.random.default_rng(9)
    series = {f"b|pop|C{i}": rng.poisson(40 + 6 * cd) for i in range(8)}
    out = run_forecast(_panel(series, cd), _future(list(series), [0.0, 20.0, 0.0]))
    (group,) = out.groups
    assert group.chosen_model in {"ARX_campaign", "SeasonalDrift_campaign", "AutoARIMA_campaign", "Combo"}
    assert group.backtest_wape < group.baseline_wape
    by_month = out.forecasts.groupby("ds")["forecast_units"].mean()
    assert by_month.iloc[1] == pytest.approx(40 + 6 * 20, rel=0.2)
    assert by_month.iloc[0] == pytest.approx(40, rel=0.2) and by_month.iloc[2] == pytest.approx(40, rel=0.2)


def test_next_618_from_the_campaign_plan_is_a_future_feature(tmp_path) -> None:
    """load_panel: the plan's 2026 618 (warm-up 05-20, ends 06-18) gives May 12 and June 18 campaign days
    in the future frame of a forecast made at the end of April."""
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("""
            create schema marts; create schema staging;
            create table marts.fct_sales_daily as
            select d::date as date_day, 'b' as brand, 'self' as store_type, 'K1' as sku_id, 5::bigint as units
            from generate_series(date '2025-01-01', date '2026-04-30', interval 1 day) t(d);
            create table staging.stg_tp_campaign_plan__campaign_resources as
            select 'b' as brand, null::varchar as store_type, date '2026-05-20' as warmup_start,
                   date '2026-05-31' as start_date, date '2026-06-18' as end_date;
        """)
        history, future = load_panel(conn, horizon_for(date(2026, 4, 30)))
    assert future["campaign_days"].tolist() == [12.0, 18.0, 0.0]
    assert history["campaign_days"].sum() == 0 and len(history) == 16


def _master(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["unique_id", "launch_date", "delist_date", "status"])
    frame[["brand", "store_type", "sku_id"]] = frame["unique_id"].str.split("|", n=2, expand=True)
    frame["category"], frame["subcategory"] = "外套", "冲锋衣"
    for col in ("launch_date", "delist_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.set_index("unique_id")


CURVE = np.array([10.0, 30.0, 20.0, 16.0, 14.0, 12.0])


def test_new_sku_follows_its_subcategory_launch_curve() -> None:
    """Four SKUs launched inside the history sold 10, 30, 20, 16, 14, 12 in their first months (±2 so the
    curve is a mean); a fifth launched in June and sold 20 in its launch month, so the curve starts at
    (4 × 10 + 20) / 5 = 12. A SKU launching in the first forecast month gets 12, 30, 20; the June SKU sold
    20 / 12 of the curve and gets 5/3 × (30, 20, 16)."""
    series, rows = {}, []
    for i, (launch, jitter) in enumerate(
        [("2025-01-10", 2), ("2025-03-05", -2), ("2025-05-20", 1), ("2025-08-01", -1)]
    ):
        start = MONTHS.get_loc(pd.Timestamp(launch).replace(day=1))
        y = np.concatenate([CURVE + jitter * np.array([1, -1, 1, -1, 1, -1]), np.full(24, 12.0)])[
            : len(MONTHS) - start
        ]
        series[f"b|pop|L{i}"] = y
        rows.append((f"b|pop|L{i}", launch, None, "在售"))
    series["b|pop|OLD"] = np.full(24, 50.0)
    series["b|pop|JUNE"] = np.array([20.0])
    rows += [
        ("b|pop|OLD", "2020-01-01", None, "在售"),
        ("b|pop|JUNE", "2026-06-03", None, "在售"),
        ("b|pop|JULY", "2026-07-01", None, "在售"),
        ("b|pop|LATER", "2026-12-01", None, "在售"),
    ]
    master = _master(rows)
    history = _panel(series)
    curves = launch_curves(history, master)
    sub = curves[(curves["level"] == 0)].set_index("age")["mean"]
    assert sub.loc[[0, 1, 2, 3]].tolist() == pytest.approx([12.0, 30.0, 20.0, 16.0])
    out = make_forecast(history, _future(list(series)), master, FUTURE, date(2026, 6, 30))
    f = out.forecasts.set_index(["unique_id", "ds"]).sort_index()
    july = f.loc["b|pop|JULY"]
    assert july["forecast_units"].tolist() == pytest.approx([12.0, 30.0, 20.0])
    assert (july["forecast_kind"] == "new_sku").all() and (july["model"] == "LaunchCurve").all()
    assert (july["lower"] <= july["forecast_units"]).all() and (july["upper"] >= july["forecast_units"]).all()
    assert f.loc["b|pop|JUNE", "forecast_units"].tolist() == pytest.approx([50.0, 100 / 3, 80 / 3])
    assert "b|pop|LATER" not in f.index.get_level_values(0)  # launches after the horizon
    assert (f.loc["b|pop|OLD", "forecast_kind"] == "model").all()


def test_delisted_sku_goes_to_zero() -> None:
    """A steady seller delisted on 2026-08-16: July as forecast, August 15/31 of it, September zero; a SKU
    marked 停售 without a date is zero from the first forecast month."""
    series = {
        "b|self|D": np.full(24, 31.0),
        "b|self|STOP": np.full(24, 31.0),
        "b|self|KEEP": np.full(24, 31.0),
    }
    master = _master(
        [
            ("b|self|D", "2020-01-01", "2026-08-16", "在售"),
            ("b|self|STOP", "2020-01-01", None, "停售"),
            ("b|self|KEEP", "2020-01-01", None, "在售"),
        ]
    )
    out = make_forecast(_panel(series), _future(list(series)), master, FUTURE, date(2026, 6, 30))
    f = out.forecasts.set_index(["unique_id", "ds"]).sort_index()
    assert f.loc["b|self|KEEP", "forecast_units"].tolist() == pytest.approx([31.0] * 3)
    assert f.loc["b|self|D", "forecast_units"].tolist() == pytest.approx([31.0, 15.0, 0.0])
    assert f.loc["b|self|D", "forecast_kind"].tolist() == ["model", "model", "delisted"]
    assert f.loc["b|self|D", "upper"].iloc[2] == 0.0
    assert f.loc["b|self|STOP", "forecast_units"].tolist() == [0.0, 0.0, 0.0]
    assert set(f.loc["b|self|STOP", "model"]) == {"Delisted"}


@pytest.mark.integration
def test_interval_coverage_is_measured_on_the_held_out_window() -> None:
    """Poisson series: the calibrated 80 % interval covers 70–90 % of the last backtest window it was
    not fitted on."""
    rng = np.random.default_rng(1)
    series = {f"b|pop|P{i}": rng.poisson(rng.uniform(20, 200), len(MONTHS)) for i in range(60)}
    out = run_forecast(_panel(series), _future(list(series)))
    assert 0.7 <= out.coverage <= 0.9
    last = out.backtest.dropna(subset=["lower"])
    assert last["cutoff"].nunique() == 1 and len(last) == 60 * 3
    f = out.forecasts
    assert (f["lower"] <= f["forecast_units"] + 1e-9).all() and (
        f["upper"] >= f["forecast_units"] - 1e-9
    ).all()
