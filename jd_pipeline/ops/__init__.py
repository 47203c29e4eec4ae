"""Operations: publishing the served warehouse, run status, the local Dagster dev server.

Plain Python, used by the Dagster assets/sensors, the CLI and the tests. The CLI entry points:

- `print_status(settings) -> int`  (`jd-pipeline status`)
- `run_dev_server(settings) -> int`  (`jd-pipeline dev`)
- `publish_serving(settings) -> PublishResult`, `rollback_serving(settings)`
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "print_status": "jd_pipeline.ops.status",
    "collect_status": "jd_pipeline.ops.status",
    "run_dev_server": "jd_pipeline.ops.devserver",
    "publish_serving": "jd_pipeline.ops.publish",
    "rollback_serving": "jd_pipeline.ops.publish",
    "PublishError": "jd_pipeline.ops.publish",
    "PublishResult": "jd_pipeline.ops.publish",
    "recover_dead_runs": "jd_pipeline.ops.recovery",
}

__all__ = [
    "PublishError",
    "PublishResult",
    "collect_status",
    "print_status",
    "publish_serving",
    "recover_dead_runs",
    "rollback_serving",
    "run_dev_server",
]


def __getattr__(name: str) -> Any:  # lazy: `import jd_pipeline.ops` stays cheap
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'jd_pipeline.ops' has no attribute {name!r}")
