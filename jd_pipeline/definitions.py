"""The one Dagster code location: definitions merged from small modules by domain.

Importing it builds definitions only: it sets no environment variable and runs no dbt (the dbt
manifest is prepared beforehand, see jd_pipeline/defs/project.py).
"""

from __future__ import annotations

import importlib
import warnings

import dagster as dg

from jd_pipeline.defs.executor import build_executor
from jd_pipeline.defs.resources import WarehouseResource

# The pins in pyproject.toml fix the Dagster version; its beta/preview notices (backfill policies,
# partitioned checks) would otherwise print once per asset on every CLI run.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

DOMAIN_MODULES = (
    "jd_pipeline.defs.ingest",
    "jd_pipeline.defs.transform",
    "jd_pipeline.defs.quality",
    "jd_pipeline.defs.kpi",
    "jd_pipeline.defs.reports",
    "jd_pipeline.defs.alerts",
    "jd_pipeline.defs.flash",
    "jd_pipeline.defs.publish",
    "jd_pipeline.defs.jobs",
    "jd_pipeline.defs.schedules",
    "jd_pipeline.defs.sensors",
    "jd_pipeline.defs.verify",
)


def _domain_defs() -> list[dg.Definitions]:
    # Every domain module is required: one that fails to import fails the code location loudly.
    return [importlib.import_module(name).defs for name in DOMAIN_MODULES]


def build_definitions(executor: dg.ExecutorDefinition | None = None) -> dg.Definitions:
    """`executor`: how launched runs execute their steps (default: `JD_EXECUTOR`, defs/executor.py)."""
    from jd_pipeline.defs.transform import dbt_resource

    shared = dg.Definitions(
        resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
        executor=executor or build_executor(),
    )
    return dg.Definitions.merge(shared, *_domain_defs())


defs = build_definitions()
