"""Forecast bench (issue 23): WAPE and bias of the published forecast vs seasonal naive at 12, 18 and
24 months of history, coverage of the 80 % interval, fit time.

    python benchmarks/forecast_bench.py              # --scale 1, origins 2026-01..2026-03
    python benchmarks/forecast_bench.py --scale 0.1  # smaller, faster

History: monthly units per SKU × store from the generator's own sales (`jd_pipeline.generate`: POP
dealt units, 自营 units sold net of returns — what `fct_sales_daily` holds when every delivery loads), the
product master and the campaign calendar, from 2024-01 to 2026-05. The files are not written (a sink that
discards them), so a 29-month history at --scale 1 costs minutes, not an hour; the panel is cached in
benchmarks/cache/forecast/ (keyed by scale, seed and range).

For each forecast origin (first forecast month) and history length H, the forecast is made exactly as
the asset makes it (`make_forecast`) from the H months before the origin, and compared with the actual
units of the 3 months from the origin (truly unseen). Seasonal naive = the units of the same month a
year earlier (0 when the SKU did not sell then). WAPE = Σ|actual − forecast| ÷ Σ actual over every
SKU × month that sold or was forecast; bias = Σ(forecast − actual) ÷ Σ actual. Per category: store ×
category. Prints one table and writes benchmarks/results/forecast.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jd_pipeline.forecast.model import wape
from jd_pipeline.forecast.pipeline import make_forecast

CACHE = REPO / "benchmarks" / "cache" / "forecast"
RESULTS = REPO / "benchmarks" / "results"
START, END = date(2024, 1, 1), date(2026, 5, 31)
ORIGINS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
HISTORIES = (12, 18, 24)
SEED = 20260101


def _generate(scale: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """(monthly units, product master, campaign days per month, generation seconds)."""
    from jd_pipeline.generate import pop, vc
    from jd_pipeline.generate.faults import FaultLog
    from jd_pipeline.generate.model import (
        POP,
        SELF,
        STORE_CODES,
        Config,
        campaigns_between,
        make_brand,
        make_products,
    )
    from jd_pipeline.generate.sink import Sink

    class DiscardSink(Sink):
        def emit(
            self, source, sheet, *, period, filename, delivered, store=None, roles=None, hour=6, plant=True
        ):
            return self.path(source, store, period, filename)

    started = time.perf_counter()
    cfg = Config(
        out=CACHE / "discard", brands=1, start=START, end=END, scale=scale, seed=SEED, faults=0.0, ads_pulls=1
    )
    brand = make_brand(0)
    products = make_products(cfg, brand)
    sink = DiscardSink(out=cfg.out, brand=brand.code, log=FaultLog(0.0, np.random.default_rng(0)))
    units = {
        POP: pop.generate_pop(cfg, brand, products, sink).deal_units,
        SELF: vc.generate_vc(cfg, brand, products, sink).units,
    }
    months = pd.to_datetime(cfg.days.astype("datetime64[M]"))
    frames = []
    for store, daily in units.items():
        ix = products.idx(store)
        monthly = pd.DataFrame(daily, index=months, columns=products.sku_id[ix]).groupby(level=0).sum()
        long = monthly.stack().rename("y").reset_index()
        long.columns = ["ds", "sku_id", "y"]
        long["store_type"] = STORE_CODES[store]
        frames.append(long)
    sales = pd.concat(frames, ignore_index=True)
    cats = brand.cats
    master = pd.DataFrame(
        {
            "sku_id": products.sku_id,
            "store_type": [STORE_CODES[s] for s in products.store],
            "category": [cats[c].l1 for c in products.cat],
            "subcategory": [cats[c].l3 for c in products.cat],
            "launch_date": pd.to_datetime(products.launch),
            "delist_date": pd.to_datetime(products.delist),
        }
    )
    master.loc[master["delist_date"] >= pd.Timestamp("2099-01-01"), "delist_date"] = pd.NaT
    days = pd.date_range(date(START.year, 1, 1), date(END.year + 1, 12, 31), freq="D")
    covered = set()
    for c in campaigns_between(days[0].date(), days[-1].date(), brand):
        covered |= set(pd.date_range(c.warmup_start, c.end, freq="D"))
    camp = pd.Series(1, index=sorted(covered)).groupby(lambda d: d.replace(day=1)).sum()
    campaign = pd.DataFrame({"ds": pd.to_datetime(camp.index), "campaign_days": camp.to_numpy(dtype=float)})
    return sales, master, campaign, time.perf_counter() - started


def load_world(scale: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float | None]:
    key = CACHE / f"scale{scale:g}_seed{SEED}_{START}_{END}"
    files = [key.with_suffix(f".{n}.parquet") for n in ("sales", "master", "campaign")]
    if all(f.exists() for f in files):
        sales, master, campaign = (pd.read_parquet(f) for f in files)
        return sales, master, campaign, None
    sales, master, campaign, seconds = _generate(scale)
    CACHE.mkdir(parents=True, exist_ok=True)
    for frame, f in zip((sales, master, campaign), files):
        frame.to_parquet(f)
    return sales, master, campaign, seconds


def _uid(frame: pd.DataFrame) -> pd.Series:
    return "b|" + frame["store_type"] + "|" + frame["sku_id"]


def panel_for(
    sales: pd.DataFrame, campaign: pd.DataFrame, origin: pd.Timestamp, months: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What load_panel returns at `origin` with `months` of history: each series from its first
    selling month inside the window, gaps as 0, campaign days; and the 3 future months' campaign days."""
    start = origin - pd.DateOffset(months=months)
    window = sales[(sales["ds"] >= start) & (sales["ds"] < origin)].copy()
    window["unique_id"] = _uid(window)
    first = window[window["y"] > 0].groupby("unique_id")["ds"].min()
    window = window[window["unique_id"].isin(first.index)]
    window = window[window["ds"] >= window["unique_id"].map(first)]
    history = window.merge(campaign, on="ds", how="left").fillna({"campaign_days": 0.0})
    future_ds = pd.date_range(origin, periods=3, freq="MS")
    future = pd.DataFrame([(u, d) for u in first.index for d in future_ds], columns=["unique_id", "ds"])
    future = future.merge(campaign, on="ds", how="left").fillna({"campaign_days": 0.0})
    return history[["unique_id", "ds", "y", "campaign_days"]].reset_index(drop=True), future


def evaluate(
    sales: pd.DataFrame, master: pd.DataFrame, forecast: pd.DataFrame, origin: pd.Timestamp
) -> pd.DataFrame:
    """One row per SKU × month of the 3 months: actual, forecast (0 when not forecast), seasonal naive."""
    months = pd.date_range(origin, periods=3, freq="MS")
    s = sales.assign(unique_id=_uid(sales))
    actual = s[s["ds"].isin(months)][["unique_id", "ds", "y"]]
    ly = s[s["ds"].isin(months - pd.DateOffset(years=1))][["unique_id", "ds", "y"]]
    ly = ly.assign(ds=ly["ds"] + pd.DateOffset(years=1)).rename(columns={"y": "seasonal_naive"})
    out = actual.merge(ly, on=["unique_id", "ds"], how="outer").merge(
        forecast[["unique_id", "ds", "forecast_units", "lower", "upper", "forecast_kind"]],
        on=["unique_id", "ds"],
        how="outer",
    )
    out = out.fillna({"y": 0.0, "seasonal_naive": 0.0, "forecast_units": 0.0})
    out = out[(out["y"] > 0) | (out["forecast_units"] > 0) | (out["seasonal_naive"] > 0)]
    meta = master.assign(unique_id=_uid(master)).set_index("unique_id")[["store_type", "category"]]
    return out.join(meta, on="unique_id")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (statsforecast's worker pool)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _bias(a: pd.Series, f: pd.Series) -> float | None:
    return float((f - a).sum() / a.sum()) if a.sum() > 0 else None


def run(scale: float, origins: tuple[date, ...]) -> dict:
    sales, master, campaign, gen_seconds = load_world(scale)
    series = master.assign(unique_id=_uid(master), brand="b").set_index("unique_id")
    results = {
        "scale": scale,
        "origins": [o.isoformat() for o in origins],
        "generation_seconds": gen_seconds,
        "series": len(series),
        "histories": {},
    }
    for months in HISTORIES:
        evals, fit, cpu, backtests = [], [], [], []
        for o in origins:
            origin = pd.Timestamp(o)
            history, future = panel_for(sales, campaign, origin, months)
            hz_months = tuple(d.date() for d in pd.date_range(origin, periods=3, freq="MS"))
            started, cpu0 = time.perf_counter(), _cpu()
            out = make_forecast(history, future, series, hz_months, (origin - pd.Timedelta(days=1)).date())
            fit.append(time.perf_counter() - started)
            cpu.append(_cpu() - cpu0)
            evals.append(evaluate(sales, master, out.forecasts, origin))
            backtests.append((out.backtest_wape, out.baseline_wape, out.coverage))
            print(
                f"  H={months} origin={o}: {history['unique_id'].nunique()} series, fit {fit[-1]:.1f} s "
                f"wall, {cpu[-1]:.1f} s CPU",
                flush=True,
            )
        ev = pd.concat(evals, ignore_index=True)
        scored = ev.dropna(subset=["lower", "upper"])
        cats = {}
        for (store, cat), g in ev.groupby(["store_type", "category"]):
            cats[f"{store}·{cat}"] = {
                "wape": wape(g["y"], g["forecast_units"]),
                "seasonal_naive_wape": wape(g["y"], g["seasonal_naive"]),
                "units": float(g["y"].sum()),
            }
        results["histories"][str(months)] = {
            "wape": wape(ev["y"], ev["forecast_units"]),
            "seasonal_naive_wape": wape(ev["y"], ev["seasonal_naive"]),
            "bias": _bias(ev["y"], ev["forecast_units"]),
            "seasonal_naive_bias": _bias(ev["y"], ev["seasonal_naive"]),
            "coverage_80": float(
                ((scored["y"] >= scored["lower"] - 1e-9) & (scored["y"] <= scored["upper"] + 1e-9)).mean()
            ),
            "internal_backtest": [{"wape": b[0], "baseline_wape": b[1], "coverage": b[2]} for b in backtests],
            "fit_seconds": fit,
            "fit_cpu_seconds": cpu,
            "categories": cats,
            "categories_at_or_below_seasonal_naive": sum(
                1
                for c in cats.values()
                if c["wape"] is not None
                and c["seasonal_naive_wape"] is not None
                and c["wape"] <= c["seasonal_naive_wape"] + 1e-12
            ),
            "categories_scored": sum(1 for c in cats.values() if c["seasonal_naive_wape"] is not None),
        }
    return results


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:+.1%}" if pct else f"{v:.3f}"


def render(res: dict) -> str:
    lines = [
        f"forecast bench, --scale {res['scale']:g}, origins {', '.join(res['origins'])} (3 months each)",
        "",
        "| history | WAPE | seasonal naive WAPE | bias | SN bias | 80% coverage | categories ≤ SN | fit s wall (mean) | fit s CPU (mean) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for h, r in res["histories"].items():
        lines.append(
            f"| {h} months | {_fmt(r['wape'])} | {_fmt(r['seasonal_naive_wape'])} | {_fmt(r['bias'], True)} | "
            f"{_fmt(r['seasonal_naive_bias'], True)} | {r['coverage_80']:.1%} | "
            f"{r['categories_at_or_below_seasonal_naive']}/{r['categories_scored']} | "
            f"{np.mean(r['fit_seconds']):.1f} | {np.mean(r['fit_cpu_seconds']):.1f} |"
        )
    lines += [
        "",
        "| history | store·category | WAPE | seasonal naive WAPE | actual units |",
        "| --- | --- | --- | --- | --- |",
    ]
    for h, r in res["histories"].items():
        for cat, c in r["categories"].items():
            lines.append(
                f"| {h} | {cat} | {_fmt(c['wape'])} | {_fmt(c['seasonal_naive_wape'])} | {c['units']:,.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--origins", type=int, default=len(ORIGINS), help="how many of the 3 origins to run")
    args = parser.parse_args()
    res = run(args.scale, ORIGINS[: args.origins])
    print(render(res))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "forecast.json" if args.scale == 1.0 else f"forecast-scale{args.scale:g}.json"
    (RESULTS / name).write_text(json.dumps(res, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
