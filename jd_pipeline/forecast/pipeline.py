"""The forecast as published: statistical models per series, then the product life cycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from jd_pipeline.forecast.lifecycle import apply_lifecycle
from jd_pipeline.forecast.model import HORIZON, ForecastOutput, run_forecast


def make_forecast(
    history: pd.DataFrame,
    future: pd.DataFrame,
    series: pd.DataFrame,
    months: tuple[date, ...],
    as_of: date,
) -> ForecastOutput:
    """`series`: the product master per unique_id (store_type, category, subcategory, launch_date,
    delist_date, status, brand); series of `history` missing from it form their own group."""
    if len(months) != HORIZON:
        raise ValueError(f"expected {HORIZON} forecast months, got {len(months)}")
    output = (
        run_forecast(history, future, series)
        if len(history)
        else ForecastOutput(
            pd.DataFrame(
                columns=["unique_id", "ds", "forecast_units", "lower", "upper", "model", "forecast_kind"]
            )
        )
    )
    forecasts = apply_lifecycle(output.forecasts, history, series, months, as_of)
    return replace(output, forecasts=forecasts)
