"""How the steps of a run launched through the instance (UI, schedules, sensors, the daemon) execute:
`JD_EXECUTOR` picks the executor of every job of the code location.

- `multiprocess` (default): one process per step, at most `JD_MAX_CONCURRENT` (default 2) at once,
  forked from a server process that has the code location loaded.
  Dagster's own default was already multiprocess, with one process per core; the project bounds it.
- `in_process`: every step in the run's process, one after another.
- `k8s`: `dagster_k8s.k8s_job_executor`, one Kubernetes Job per step (production, deploy/). Its
  namespace, image and pod settings come from the K8sRunLauncher of the instance (deploy/helm), and
  a run may refine them under `execution.config` (`step_k8s_config`, `max_concurrent`, ...).

Whatever the executor, the steps that open the DuckDB warehouse hold the one slot of pool
`duckdb_warehouse` (WAREHOUSE_POOL, limit 1 in the instance's dagster.yaml): DuckDB lets one process
open the file for writing and none other while it does (not even to read), so those steps run one at
a time across every run and worker. Only steps that never open the working warehouse (the freshness
checks, which read the event log) run beside them.

`jd-pipeline run`/`demo` are not affected: they execute each stage in-process
(`job.execute_in_process`, jd_pipeline/orchestrate.py), whatever this says.
"""

from __future__ import annotations

import os

import dagster as dg

from jd_pipeline.config import ConfigError

EXECUTOR_ENV = "JD_EXECUTOR"
MAX_CONCURRENT_ENV = "JD_MAX_CONCURRENT"
EXECUTOR_KINDS = ("multiprocess", "in_process", "k8s")
DEFAULT_EXECUTOR = "multiprocess"
PRELOADED_MODULES = ("jd_pipeline.definitions",)
DEFAULT_MAX_CONCURRENT = 2  # 2 cores on the reference machine; the pool serialises writers anyway


def executor_kind() -> str:
    kind = (os.environ.get(EXECUTOR_ENV) or DEFAULT_EXECUTOR).strip().lower().replace("-", "_")
    if kind not in EXECUTOR_KINDS:
        raise ConfigError(f"{EXECUTOR_ENV}={kind!r}: expected one of {', '.join(EXECUTOR_KINDS)}")
    return kind


def max_concurrent() -> int:
    raw = os.environ.get(MAX_CONCURRENT_ENV) or str(DEFAULT_MAX_CONCURRENT)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{MAX_CONCURRENT_ENV}={raw!r}: expected a whole number of steps, 1 or more")
    return value


def build_executor(kind: str | None = None, concurrent_steps: int | None = None) -> dg.ExecutorDefinition:
    """The executor of `kind` (default: `JD_EXECUTOR`); `concurrent_steps`: the multiprocess
    executor's limit (default: `JD_MAX_CONCURRENT`)."""
    kind = kind or executor_kind()
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "multiprocess":
        return dg.multiprocess_executor.configured(
            {
                "max_concurrent": concurrent_steps or max_concurrent(),
                # A spawned step process imports the code location afresh (dagster, dagster-dbt's
                # manifest, GX: seconds per step); forked from a server that has it loaded, it
                # starts at once. Importing the definitions opens no warehouse connection.
                "start_method": {"forkserver": {"preload_modules": list(PRELOADED_MODULES)}},
            },
            name="multiprocess_executor",
        )
    if kind == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError as exc:  # the `deploy` extra of pyproject.toml
            raise ConfigError(
                f"{EXECUTOR_ENV}=k8s needs dagster-k8s: pip install 'jd_pipeline[deploy]' ({exc})"
            ) from None
        return k8s_job_executor
    raise ConfigError(f"{EXECUTOR_ENV}={kind!r}: expected one of {', '.join(EXECUTOR_KINDS)}")
