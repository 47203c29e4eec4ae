"""Demand forecast: monthly units per SKU × store for the next 3 months (statsforecast)."""

from jd_pipeline.forecast.model import ForecastOutput, run_forecast, wape

__all__ = ["ForecastOutput", "run_forecast", "wape"]
