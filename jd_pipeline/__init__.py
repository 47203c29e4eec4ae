"""jd-ops-warehouse: Dagster + dbt + DuckDB pipeline for a brand's JD.com business."""

__version__ = "0.1.0"
