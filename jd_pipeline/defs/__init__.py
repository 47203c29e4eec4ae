"""Dagster definitions by domain; `jd_pipeline.definitions` merges them."""
