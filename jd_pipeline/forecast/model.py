"""Statistical models, rolling-origin backtest and per-group model selection (statsforecast).

Input: a complete monthly panel (`unique_id`, `ds` = month start, `y` = units, `campaign_days`) and
a `series` frame naming each series' selection group (store_type × category). Series fall into a
history class by their number of months:

- `seasonal` (>= SEASON + HORIZON months, so the first backtest window still trains on a full year and
  seasonal naive can be scored): baseline SeasonalNaive(12); candidates AutoETS(12), an AR(1) on
  campaign days (`ARX_campaign`), a seasonal-difference regression with drift and campaign days (from
  15 training months), AutoARIMA with campaign days (from three seasons), Naive, and `Combo`, the mean
  of the baseline, AutoETS and ARX.
- `annual` (SEASON .. SEASON + HORIZON − 1 months): seasonal naive can be computed but not scored;
  it is published as it stands ("same month last year"), with no backtest figure.
- `short` (>= SHORT_MIN_MONTHS): baseline Naive; candidates ARX_campaign, AutoETS and
  `Combo` (mean of Naive, ARX and AutoETS).
- `tiny`: too short for a backtest; new SKUs are handled by `launch.py`, the rest get Naive.

Backtest: as many rolling origins (one month apart, `horizon` months each, capped at MAX_WINDOWS) as the
shortest series of a bucket allows. Per selection group (history class × store_type × category) the
candidate with the lowest pooled absolute error over every window wins; the baseline is a candidate and
wins ties, so on the backtest the published forecast is never worse than the baseline, group by group.

Intervals: split-conformal on the backtest residuals of the chosen model, relative to the forecast
(r = (y − ŷ) / max(ŷ, 1)); the 10 % and 90 % quantiles of r per group (the class pooled when a group
has fewer than MIN_CONFORMAL residuals) give the 80 % interval. Coverage is measured honestly: the
quantiles are fitted on all windows but the last and checked on the last.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import ARIMA, AutoARIMA, AutoETS, Naive, SeasonalNaive

log = logging.getLogger(__name__)

SEASON = 12
HORIZON = 3
LEVEL = 80
MAX_WINDOWS = 4
SEASONAL_MIN_MONTHS = SEASON + HORIZON
SHORT_MIN_TRAIN = 6
SHORT_MIN_MONTHS = SHORT_MIN_TRAIN + HORIZON
DRIFT_MIN_TRAIN = 15
AUTOARIMA_MIN_TRAIN = 3 * SEASON
MIN_CONFORMAL = 30
# Backtest models are fitted on the first origin and rolled forward (statsforecast `forward`) on the
# later ones: a 4-origin backtest costs about two fits per series instead of five. The parameters are a
# few months staler than a refit's, the same for every candidate (seasonal naive has none).
REFIT = False
EXOG = "campaign_days"
COMBO = "Combo"
# Below this many series a process pool costs more than it saves: starting the pool is paid on
# every fit (benchmarks/README.md).
PARALLEL_MIN_SERIES = 200
CLASSES = ("seasonal", "annual", "short", "tiny")


@dataclass
class GroupResult:
    """One selection group: history class × store_type × category."""

    history_class: str
    store_type: str
    category: str
    chosen_model: str
    baseline_model: str
    n_series: int
    windows: int
    backtest_wape: float | None
    baseline_wape: float | None
    actual_units: float
    coverage: float | None  # held-out coverage of the 80 % interval (last window)
    candidate_wape: dict[str, float] = field(default_factory=dict)


@dataclass
class ForecastOutput:
    """`forecasts`: unique_id, ds, forecast_units, lower, upper, model, forecast_kind, history_class,
    backtest_wape, baseline_model, baseline_wape, backtest_windows (per series), group_backtest_wape,
    group_baseline_wape, interval_coverage (per selection group)."""

    forecasts: pd.DataFrame
    groups: list[GroupResult] = field(default_factory=list)
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)  # unique_id, ds, cutoff, y, chosen, baseline

    @property
    def backtest_wape(self) -> float | None:
        return wape(self.backtest["y"], self.backtest["chosen"]) if len(self.backtest) else None

    @property
    def baseline_wape(self) -> float | None:
        return wape(self.backtest["y"], self.backtest["baseline"]) if len(self.backtest) else None

    @property
    def coverage(self) -> float | None:
        scored = self.backtest.dropna(subset=["lower", "upper"]) if len(self.backtest) else self.backtest
        if not len(scored):
            return None
        return float(
            ((scored["y"] >= scored["lower"] - 1e-9) & (scored["y"] <= scored["upper"] + 1e-9)).mean()
        )

    @property
    def beats_baseline(self) -> bool | None:
        a, b = self.backtest_wape, self.baseline_wape
        return None if a is None or b is None else a <= b


def wape(actual: pd.Series | np.ndarray, forecast: pd.Series | np.ndarray) -> float | None:
    """Weighted absolute percentage error: Σ|y − ŷ| / Σ|y| (None when Σ|y| = 0)."""
    actual_arr = np.asarray(actual, dtype=float)
    denom = np.abs(actual_arr).sum()
    if denom == 0:
        return None
    return float(np.abs(actual_arr - np.asarray(forecast, dtype=float)).sum() / denom)


def forecast_jobs(n_series: int) -> int:
    """Worker processes for statsforecast: JD_FORECAST_JOBS, default every core (the series fit
    independently, so the forecast is the same with any number; timings in benchmarks/README.md)."""
    if n_series < PARALLEL_MIN_SERIES:
        return 1
    configured = os.environ.get("JD_FORECAST_JOBS", "")
    return max(1, int(configured)) if configured.isdigit() else max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------- models
def _arx() -> ARIMA:
    """AR(1) + constant regression on `campaign_days`: level and campaign lift, fit in 6 months."""
    return ARIMA(order=(1, 0, 0), include_constant=True, alias="ARX_campaign")


def candidates(history_class: str, min_train: int) -> tuple[dict[str, object], str, tuple[str, ...]]:
    """(statsforecast models by alias incl. the baseline, baseline alias, members of `Combo`)."""
    if history_class == "seasonal":
        models: dict[str, object] = {
            "SeasonalNaive": SeasonalNaive(season_length=SEASON, alias="SeasonalNaive"),
            "Naive": Naive(alias="Naive"),
            "ARX_campaign": _arx(),
            "AutoETS_seasonal": AutoETS(season_length=SEASON, alias="AutoETS_seasonal"),
        }
        if min_train >= DRIFT_MIN_TRAIN:
            models["SeasonalDrift_campaign"] = ARIMA(
                order=(0, 0, 0),
                seasonal_order=(0, 1, 0),
                season_length=SEASON,
                include_constant=True,
                alias="SeasonalDrift_campaign",
            )
        if min_train >= AUTOARIMA_MIN_TRAIN:
            models["AutoARIMA_campaign"] = AutoARIMA(season_length=SEASON, alias="AutoARIMA_campaign")
        return models, "SeasonalNaive", ("SeasonalNaive", "AutoETS_seasonal", "ARX_campaign")
    if history_class == "annual":
        return (
            {"SeasonalNaive": SeasonalNaive(season_length=SEASON, alias="SeasonalNaive")},
            "SeasonalNaive",
            (),
        )
    if history_class == "short":
        return (
            {
                "Naive": Naive(alias="Naive"),
                "ARX_campaign": _arx(),
                "AutoETS": AutoETS(season_length=1, alias="AutoETS"),
            },
            "Naive",
            ("Naive", "ARX_campaign", "AutoETS"),
        )
    return {"Naive": Naive(alias="Naive")}, "Naive", ()


def history_class(length: pd.Series) -> pd.Series:
    """History class per unique_id from its number of months."""
    return pd.Series(
        np.select(
            [length >= SEASONAL_MIN_MONTHS, length >= SEASON, length >= SHORT_MIN_MONTHS],
            ["seasonal", "annual", "short"],
            "tiny",
        ),
        index=length.index,
    )


def windows_for(history_class_: str, length: int, horizon: int = HORIZON) -> int:
    """Rolling origins (one month apart) the history allows, capped at MAX_WINDOWS; 0 = no backtest."""
    min_train = {"seasonal": SEASON, "short": SHORT_MIN_TRAIN}.get(history_class_)
    if min_train is None:
        return 0
    return max(0, min(MAX_WINDOWS, length - min_train - horizon + 1))


def _with_combo(frame: pd.DataFrame, members: tuple[str, ...]) -> pd.DataFrame:
    """Clip every model column at 0 and add `Combo` (the mean of its members)."""
    if members:
        frame[COMBO] = frame[list(members)].clip(lower=0).mean(axis=1)
    return frame


def _sf(models: dict[str, object], n_series: int) -> StatsForecast:
    return StatsForecast(
        models=list(models.values()), freq="MS", n_jobs=forecast_jobs(n_series), fallback_model=Naive()
    )


def _frame(panel: pd.DataFrame) -> pd.DataFrame:
    return panel[["unique_id", "ds", "y", EXOG]]


# ------------------------------------------------------------------------------------- backtest
def _backtest_class(
    panel: pd.DataFrame, cls: str, lengths: pd.Series, horizon: int
) -> tuple[pd.DataFrame, list[str], str]:
    """Cross-validation rows of every candidate for one history class, bucketed by window count."""
    ids_windows = lengths.map(lambda n: windows_for(cls, int(n), horizon))
    frames = []
    aliases: list[str] = []
    baseline = ""
    for n_windows, ids in ids_windows.groupby(ids_windows):
        sub = panel[panel["unique_id"].isin(ids.index)]
        min_train = int(lengths[ids.index].min()) - horizon - (int(n_windows) - 1)
        models, baseline, members = candidates(cls, min_train)
        cv = _sf(models, len(ids)).cross_validation(
            h=horizon, df=_frame(sub), n_windows=int(n_windows), step_size=1, refit=REFIT
        )
        cv = _with_combo(cv, members)
        cv["windows"] = int(n_windows)
        frames.append(cv)
        aliases = sorted(set(aliases) | set(models) | ({COMBO} if members else set()))
    cv = pd.concat(frames, ignore_index=True)
    for alias in aliases:
        if alias in cv:
            cv[alias] = cv[alias].clip(lower=0)
    return cv, aliases, baseline


def _choose(cv: pd.DataFrame, aliases: list[str], baseline: str) -> tuple[str, dict[str, float]]:
    """Lowest pooled absolute error; the baseline wins ties and every model missing a window."""
    errors = {a: float((cv["y"] - cv[a]).abs().sum()) for a in aliases if a in cv and cv[a].notna().all()}
    best = min(errors, key=lambda a: (errors[a], a != baseline))
    denom = float(cv["y"].abs().sum())
    scores = {a: e / denom for a, e in errors.items()} if denom > 0 else {}
    return best, scores


def _quantiles(resid: pd.Series) -> tuple[float, float]:
    alpha = (1 - LEVEL / 100) / 2
    return float(resid.quantile(alpha)), float(resid.quantile(1 - alpha))


def _relative(y: pd.Series, yhat: pd.Series) -> pd.Series:
    return (y - yhat) / np.maximum(yhat, 1.0)


def _bounds(yhat: pd.Series | np.ndarray, q: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    yhat = np.asarray(yhat, dtype=float)
    scale = np.maximum(yhat, 1.0)
    return np.maximum(yhat + q[0] * scale, 0.0), np.maximum(yhat + q[1] * scale, yhat)


# ---------------------------------------------------------------------------------- forecasting
@dataclass
class _ClassFit:
    rows: pd.DataFrame  # forecasts of the class
    backtest: pd.DataFrame
    groups: list[GroupResult]


def _fit_class(
    cls: str, panel: pd.DataFrame, future_x: pd.DataFrame, series: pd.DataFrame, horizon: int
) -> _ClassFit:
    lengths = panel.groupby("unique_id")["ds"].count()
    gkey = series.loc[lengths.index, ["store_type", "category"]]
    # the final fit trains on the whole history: every model any bucket could score is available
    models_all, baseline, members = candidates(cls, int(lengths.max()))
    chosen_by_group: dict[tuple[str, str], str] = {}
    q_by_group: dict[tuple[str, str], tuple[float, float]] = {}
    results: list[GroupResult] = []
    bt_rows: list[pd.DataFrame] = []
    if windows_for(cls, int(lengths.max()), horizon) > 0:
        cv, aliases, baseline = _backtest_class(panel, cls, lengths, horizon)
        cv = cv.join(gkey, on="unique_id")
        last_cut = cv.groupby("unique_id")["cutoff"].transform("max")
        chosen_col = pd.Series(np.nan, index=cv.index)
        for (store, cat), g in cv.groupby(["store_type", "category"], sort=True):
            best, _scores = _choose(g, aliases, baseline)
            chosen_by_group[(store, cat)] = best
            chosen_col.loc[g.index] = g[best]
        cv["chosen"], cv["baseline"] = chosen_col, cv[baseline]
        cv["resid"] = _relative(cv["y"], cv["chosen"])
        cv["is_last"] = cv["cutoff"] == last_cut
        q_class = _quantiles(cv["resid"])
        q_class_train = _quantiles(cv.loc[~cv["is_last"], "resid"]) if (~cv["is_last"]).any() else q_class
        cv["lower"], cv["upper"] = np.nan, np.nan
        for (store, cat), g in cv.groupby(["store_type", "category"], sort=True):
            q_by_group[(store, cat)] = _quantiles(g["resid"]) if len(g) >= MIN_CONFORMAL else q_class
            train = g[~g["is_last"]]
            q_train = _quantiles(train["resid"]) if len(train) >= MIN_CONFORMAL else q_class_train
            last = g[g["is_last"]]
            lo, hi = _bounds(last["chosen"], q_train)
            cv.loc[last.index, "lower"], cv.loc[last.index, "upper"] = lo, hi
            cover = float(((last["y"] >= lo - 1e-9) & (last["y"] <= hi + 1e-9)).mean()) if len(last) else None
            results.append(
                GroupResult(
                    cls,
                    store,
                    cat,
                    chosen_by_group[(store, cat)],
                    baseline,
                    int(g["unique_id"].nunique()),
                    int(g["windows"].max()),
                    wape(g["y"], g["chosen"]),
                    wape(g["y"], g["baseline"]),
                    float(g["y"].sum()),
                    cover,
                    _choose(g, aliases, baseline)[1],
                )
            )
        bt_rows.append(
            cv[
                [
                    "unique_id",
                    "ds",
                    "cutoff",
                    "y",
                    "chosen",
                    "baseline",
                    "lower",
                    "upper",
                    "store_type",
                    "category",
                    "windows",
                ]
            ].assign(history_class=cls)
        )
    needed = sorted(set(chosen_by_group.values()) | {baseline})
    use = {a: m for a, m in models_all.items() if a in needed or (COMBO in needed and a in members)}
    fc = _sf(use, len(lengths)).forecast(
        h=horizon, df=_frame(panel), X_df=future_x[["unique_id", "ds", EXOG]]
    )
    fc = _with_combo(fc, members if COMBO in needed else ())
    fc = fc.join(gkey, on="unique_id")
    model = fc.apply(lambda r: chosen_by_group.get((r["store_type"], r["category"]), baseline), axis=1)
    point = np.maximum(_pick(fc, model), 0.0)
    rows = pd.DataFrame(
        {"unique_id": fc["unique_id"], "ds": fc["ds"], "forecast_units": point, "model": model}
    )
    rows["forecast_kind"] = "model"
    rows["history_class"] = cls
    rows["baseline_model"] = baseline
    lo = np.full(len(rows), np.nan)
    hi = np.full(len(rows), np.nan)
    for key, idx in rows.groupby([fc["store_type"], fc["category"]]).groups.items():
        q = q_by_group.get(key)
        if q is not None:
            lo[rows.index.get_indexer(idx)], hi[rows.index.get_indexer(idx)] = _bounds(
                rows.loc[idx, "forecast_units"], q
            )
    rows["lower"], rows["upper"] = lo, hi
    backtest = pd.concat(bt_rows, ignore_index=True) if bt_rows else pd.DataFrame()
    return _ClassFit(rows, backtest, results)


def _pick(frame: pd.DataFrame, model: pd.Series) -> np.ndarray:
    """frame[model[i]] row by row (vectorised)."""
    out = np.full(len(frame), np.nan)
    for alias in model.unique():
        mask = (model == alias).to_numpy()
        out[mask] = frame.loc[mask, alias].to_numpy(dtype=float)
    return out


def _annotate(
    rows: pd.DataFrame, backtest: pd.DataFrame, groups: list[GroupResult], series: pd.DataFrame
) -> pd.DataFrame:
    """Per-series backtest WAPE (chosen and baseline, all windows) and the group's figures."""
    if len(backtest):
        per = backtest.groupby("unique_id").apply(
            lambda g: pd.Series(
                {
                    "backtest_wape": wape(g["y"], g["chosen"]),
                    "baseline_wape": wape(g["y"], g["baseline"]),
                    "backtest_windows": g["cutoff"].nunique(),
                }
            ),
            include_groups=False,
        )
        rows = rows.join(per, on="unique_id")
    for col in ("backtest_wape", "baseline_wape", "backtest_windows"):
        if col not in rows:
            rows[col] = np.nan
    table = pd.DataFrame(
        [
            (g.history_class, g.store_type, g.category, g.backtest_wape, g.baseline_wape, g.coverage)
            for g in groups
        ],
        columns=[
            "history_class",
            "store_type",
            "category",
            "group_backtest_wape",
            "group_baseline_wape",
            "interval_coverage",
        ],
    )
    rows = rows.join(series[["store_type", "category"]], on="unique_id")
    rows = rows.merge(table, on=["history_class", "store_type", "category"], how="left")
    return rows.drop(columns=["store_type", "category"])


def run_forecast(
    panel: pd.DataFrame,
    future_x: pd.DataFrame,
    series: pd.DataFrame | None = None,
    horizon: int = HORIZON,
) -> ForecastOutput:
    """Forecast `horizon` months after each series' last month.

    `panel`: unique_id, ds (month start), y, campaign_days: complete months, no gaps.
    `future_x`: unique_id, ds, campaign_days for the `horizon` months to forecast.
    `series`: indexed by unique_id, store_type and category (the selection group); default: one group.
    """
    panel = panel.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    panel["y"] = panel["y"].astype(float).clip(lower=0)  # net-return months count as no demand
    panel[EXOG] = panel[EXOG].astype(float)
    future_x = future_x.assign(**{EXOG: future_x[EXOG].astype(float)})
    ids = panel["unique_id"].unique()
    series = _series_frame(series, ids)
    classes = history_class(panel.groupby("unique_id")["ds"].count())
    fits: list[_ClassFit] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in CLASSES:
            members = classes.index[classes == cls]
            if len(members) == 0:
                continue
            sub = panel[panel["unique_id"].isin(members)]
            fit = _fit_class(cls, sub, future_x[future_x["unique_id"].isin(members)], series, horizon)
            log.info("forecast class %s: %s series, %s groups", cls, len(members), len(fit.groups))
            fits.append(fit)
    rows = pd.concat([f.rows for f in fits], ignore_index=True) if fits else _empty_rows()
    backtest = (
        pd.concat([f.backtest for f in fits if len(f.backtest)], ignore_index=True)
        if any(len(f.backtest) for f in fits)
        else pd.DataFrame()
    )
    groups = [g for f in fits for g in f.groups]
    rows = _borrow_intervals(rows, backtest, series)
    return ForecastOutput(
        forecasts=_annotate(rows, backtest, groups, series), groups=groups, backtest=backtest
    )


def _borrow_intervals(rows: pd.DataFrame, backtest: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Series without a backtest of their own (`annual`, `tiny`) take the relative residual quantiles of
    every backtested series of their store × category (all of them pooled when the group has fewer than
    MIN_CONFORMAL): a 12-month history cannot score seasonal naive, but its error scale is that of its
    neighbours'. Their coverage is not measured by the asset (the forecast bench measures it)."""
    missing = rows["lower"].isna()
    if not missing.any() or not len(backtest):
        return rows
    resid = _relative(backtest["y"], backtest["chosen"])
    pooled = _quantiles(resid)
    by_group = {
        k: _quantiles(r)
        for k, r in resid.groupby([backtest["store_type"], backtest["category"]])
        if len(r) >= MIN_CONFORMAL
    }
    keys = series.loc[rows.loc[missing, "unique_id"], ["store_type", "category"]]
    q = [by_group.get((st, cat), pooled) for st, cat in zip(keys["store_type"], keys["category"])]
    point = rows.loc[missing, "forecast_units"].to_numpy(dtype=float)
    scale = np.maximum(point, 1.0)
    rows.loc[missing, "lower"] = np.maximum(point + np.array([a for a, _ in q]) * scale, 0.0)
    rows.loc[missing, "upper"] = np.maximum(point + np.array([b for _, b in q]) * scale, point)
    return rows


def _series_frame(series: pd.DataFrame | None, ids: np.ndarray) -> pd.DataFrame:
    base = pd.DataFrame(index=pd.Index(ids, name="unique_id"))
    if series is None:
        return base.assign(store_type="all", category="all")
    out = base.join(series[["store_type", "category"]])
    return out.fillna({"store_type": "all", "category": "(unmapped)"})


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "unique_id",
            "ds",
            "forecast_units",
            "model",
            "forecast_kind",
            "history_class",
            "baseline_model",
            "lower",
            "upper",
        ]
    )
