"""Product life cycle on top of the statistical forecast: new SKUs and delisted SKUs.

- A **new SKU** (launch date from the product master, launched less than SHORT_MIN_MONTHS months before
  the first forecast month, or launching inside the horizon) has too little history for a model. It is
  forecast from its subcategory's **launch curve**: mean units in the k-th month since launch (k = 0 is
  the launch month) of the SKUs of the same brand × store × subcategory launched inside the history;
  category, then store, when fewer than CURVE_MIN_SKUS SKUs reached that age. A SKU that already sold
  for a month or two is scaled by its actual ÷ curve over the months it sold (clipped to [¼, 4]).
  The 80 % interval is the 10–90 % spread of those SKUs' units at that age, scaled the same way.
- A **delisted SKU** (退市日期 on or before the month, or 状态 停售) is forecast at zero; the month it is
  delisted in keeps the share of its days before the delist date.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from jd_pipeline.forecast.model import SHORT_MIN_MONTHS

CURVE_MIN_SKUS = 3
SCALE_BOUNDS = (0.25, 4.0)
LEVELS = (
    ("brand", "store_type", "subcategory"),
    ("brand", "store_type", "category"),
    ("brand", "store_type"),
)


def _month_index(values: pd.Series) -> pd.Series:
    ts = pd.to_datetime(values)
    return ts.dt.year * 12 + ts.dt.month - 1


def launch_curves(history: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Units by age (months since launch) per level: level, key…, age, mean, q10, q90, skus.

    Only SKUs launched after the first month of `history` count (their launch month was observed),
    and only the months before they were delisted.
    """
    first_month = _month_index(pd.Series([history["ds"].min()])).iloc[0]
    meta = series.dropna(subset=["launch_date"])
    meta = meta[_month_index(meta["launch_date"]) > first_month]
    obs = history.merge(meta, left_on="unique_id", right_index=True)
    if obs.empty:
        return pd.DataFrame(columns=["level", "key", "age", "mean", "q10", "q90", "skus"])
    obs["age"] = _month_index(obs["ds"]) - _month_index(obs["launch_date"])
    delist = _month_index(obs["delist_date"].fillna(pd.Timestamp("2099-12-01")))
    obs = obs[(obs["age"] >= 0) & (_month_index(obs["ds"]) < delist)]
    frames = []
    for level, cols in enumerate(LEVELS):
        g = obs.groupby([*cols, "age"])["y"]
        stats = g.agg(["mean", "count"]).rename(columns={"count": "skus"})
        stats["q10"], stats["q90"] = g.quantile(0.1), g.quantile(0.9)
        stats = stats.reset_index()
        stats["key"] = stats[list(cols)].astype(str).agg("|".join, axis=1)
        stats["level"] = level
        frames.append(stats[["level", "key", "age", "mean", "q10", "q90", "skus"]])
    return pd.concat(frames, ignore_index=True)


def _curve_at(curves: pd.DataFrame, sku: pd.Series, age: int) -> tuple[float, float, float] | None:
    """(mean, q10, q90) at `age` from the most specific level with enough SKUs (the oldest age seen
    stands in for older ages)."""
    for level, cols in enumerate(LEVELS):
        key = "|".join(str(sku[c]) for c in cols)
        c = curves[(curves["level"] == level) & (curves["key"] == key) & (curves["skus"] >= CURVE_MIN_SKUS)]
        if c.empty:
            continue
        row = c[c["age"] == age]
        if row.empty:
            row = c[c["age"] == c["age"].max()] if age > c["age"].max() else c[c["age"] == c["age"].min()]
        r = row.iloc[0]
        return float(r["mean"]), float(r["q10"]), float(r["q90"])
    return None


def new_sku_ids(series: pd.DataFrame, history: pd.DataFrame, months: tuple[date, ...]) -> pd.Index:
    """SKUs launched less than SHORT_MIN_MONTHS months before the first forecast month or inside the
    horizon, with fewer than SHORT_MIN_MONTHS months of history."""
    first = pd.Timestamp(months[0])
    last = pd.Timestamp(months[-1]) + pd.offsets.MonthEnd(0)
    launch = pd.to_datetime(series["launch_date"])
    young = (launch <= last) & (
        _month_index(pd.Series([first])).iloc[0] - _month_index(launch) < SHORT_MIN_MONTHS
    )
    lengths = history.groupby("unique_id")["ds"].count().reindex(series.index).fillna(0)
    return series.index[young.fillna(False) & (lengths < SHORT_MIN_MONTHS)]


def forecast_new_skus(history: pd.DataFrame, series: pd.DataFrame, months: tuple[date, ...]) -> pd.DataFrame:
    """Launch-curve forecast rows (unique_id, ds, forecast_units, lower, upper, model, forecast_kind)."""
    ids = new_sku_ids(series, history, months)
    curves = launch_curves(history, series)
    rows = []
    for uid in ids:
        sku = series.loc[uid]
        launch_m = _month_index(pd.Series([sku["launch_date"]])).iloc[0]
        scale = _scale(history[history["unique_id"] == uid], sku, launch_m, curves)
        for m in months:
            age = _month_index(pd.Series([pd.Timestamp(m)])).iloc[0] - launch_m
            point = lo = hi = 0.0
            if age >= 0:
                got = _curve_at(curves, sku, int(age))
                if got is None:
                    continue  # no curve at any level: the statistical forecast (if any) stands
                point, lo, hi = (v * scale for v in got)
            rows.append((uid, pd.Timestamp(m), point, min(lo, point), max(hi, point)))
    out = pd.DataFrame(rows, columns=["unique_id", "ds", "forecast_units", "lower", "upper"])
    out["model"] = "LaunchCurve"
    out["forecast_kind"] = "new_sku"
    return out


def _scale(own: pd.DataFrame, sku: pd.Series, launch_m: int, curves: pd.DataFrame) -> float:
    """The SKU's actual ÷ curve over the months it has sold since launch (1 without history)."""
    if own.empty:
        return 1.0
    ages = _month_index(own["ds"]) - launch_m
    expected = [(_curve_at(curves, sku, int(a)) or (0.0,))[0] for a in ages if a >= 0]
    actual = float(own.loc[(ages >= 0).to_numpy(), "y"].sum())
    if sum(expected) <= 0:
        return 1.0
    return float(np.clip(actual / sum(expected), *SCALE_BOUNDS))


def delisted_share(series: pd.DataFrame, months: tuple[date, ...], as_of: date) -> pd.DataFrame:
    """unique_id, ds, share of the month still on sale (< 1 only for delisted SKUs)."""
    rows = []
    for uid, sku in series.iterrows():
        delist = sku.get("delist_date")
        if pd.isna(delist) and sku.get("status") == "停售":
            delist = pd.Timestamp(as_of) + pd.Timedelta(days=1)
        if pd.isna(delist):
            continue
        delist = pd.Timestamp(delist)
        for m in months:
            start = pd.Timestamp(m)
            end = start + pd.offsets.MonthBegin(1)
            share = float(np.clip((delist - start).days / (end - start).days, 0.0, 1.0))
            if share < 1.0:
                rows.append((uid, start, share))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "share"])


def apply_lifecycle(
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    series: pd.DataFrame,
    months: tuple[date, ...],
    as_of: date,
) -> pd.DataFrame:
    """The statistical forecast with new SKUs replaced by their launch curve and delisted SKUs zeroed."""
    new = forecast_new_skus(history, series, months)
    forecasts = forecasts.assign(ds=pd.to_datetime(forecasts["ds"]).astype("datetime64[ns]"))
    new = new.assign(ds=pd.to_datetime(new["ds"]).astype("datetime64[ns]"))
    replaced = pd.MultiIndex.from_frame(new[["unique_id", "ds"]])
    keep = forecasts[~pd.MultiIndex.from_frame(forecasts[["unique_id", "ds"]]).isin(replaced)]
    out = pd.concat([keep, new], ignore_index=True) if len(new) else keep.copy()
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    if "history_class" in out:
        out["history_class"] = out["history_class"].fillna("new")
    share = delisted_share(series, months, as_of)
    if len(share):
        share["ds"] = pd.to_datetime(share["ds"]).astype("datetime64[ns]")
        out = out.merge(share, on=["unique_id", "ds"], how="left")
        hit = out["share"].notna()
        for col in ("forecast_units", "lower", "upper"):
            out.loc[hit, col] = out.loc[hit, col] * out.loc[hit, "share"]
        out.loc[hit & (out["share"] == 0), "forecast_kind"] = "delisted"
        out.loc[hit & (out["share"] == 0), "model"] = "Delisted"
        out = out.drop(columns="share")
    return out.reset_index(drop=True)
