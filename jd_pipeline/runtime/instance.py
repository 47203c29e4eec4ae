"""The one Dagster instance every run is recorded in: `$DAGSTER_HOME` (default
`$JD_DATA_DIR/dagster_home`), shared by `jd-pipeline run`/`demo` and `jd-pipeline dev`.

Both prepare it the same way: the project's `dagster.yaml` (run queue, one `duckdb_warehouse`
pool slot, the batched event log of runtime/event_storage.py, no telemetry or first-visit pop-up)
is written there when the instance has none (`write_instance_config`), the pool limit is set, and Dagster's event batching
is switched on (`DAGSTER_EVENT_BATCH_SIZE`, read by Dagster at every event, so it is an
environment variable and not a dagster.yaml setting).

Storage: by default the runs, event log and schedules stay in SQLite files under the instance
directory. `JD_DAGSTER_STORAGE=postgres` writes a dagster.yaml whose storage is PostgreSQL instead
(`storage_postgres.yaml`, dagster-postgres; connection from `DAGSTER_PG_HOST`, `DAGSTER_PG_PORT`,
`DAGSTER_PG_USER`, `DAGSTER_PG_PASSWORD`, `DAGSTER_PG_DB` at run time), for an instance shared by
several machines or workers (deploy/README.md).
"""

from __future__ import annotations

import json
import os
import re
import string
from pathlib import Path

import dagster as dg

from jd_pipeline.config import ConfigError, Settings
from jd_pipeline.defs.resources import WAREHOUSE_POOL
from jd_pipeline.runtime.event_storage import EVENT_BATCH_SIZE

TEMPLATE = Path(__file__).resolve().parent / "dagster.yaml"
POSTGRES_STORAGE = Path(__file__).resolve().parent / "storage_postgres.yaml"
STORAGE_ENV = "JD_DAGSTER_STORAGE"
STORAGE_KINDS = ("sqlite", "postgres")
# The environment variables storage_postgres.yaml reads (no value of theirs is written to a file).
POSTGRES_ENV = (
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
)


def instance_environment(settings: Settings) -> dict[str, str]:
    """Environment variables of every process that writes to the instance."""
    return {
        "DAGSTER_HOME": str(settings.dagster_home),
        "DAGSTER_EVENT_BATCH_SIZE": os.environ.get("DAGSTER_EVENT_BATCH_SIZE") or str(EVENT_BATCH_SIZE),
    }


def storage_kind() -> str:
    kind = (os.environ.get(STORAGE_ENV) or "sqlite").strip().lower()
    if kind not in STORAGE_KINDS:
        raise ConfigError(f"{STORAGE_ENV}={kind!r}: expected one of {', '.join(STORAGE_KINDS)}")
    return kind


def instance_config_text(home: Path, storage: str = "sqlite") -> str:
    """The project's dagster.yaml for the instance directory `home`: with SQLite storage, its event
    log in `home/history/runs` (a configured storage is not told the directory it belongs to); with
    PostgreSQL storage (`storage_postgres.yaml`), no file storage at all."""
    event_log_dir = json.dumps(str(home.resolve() / "history" / "runs"))  # a quoted YAML string
    text = string.Template(TEMPLATE.read_text()).substitute(event_log_dir=event_log_dir)
    if storage == "sqlite":
        return text
    if storage != "postgres":
        raise ConfigError(f"{STORAGE_ENV}={storage!r}: expected one of {', '.join(STORAGE_KINDS)}")
    # The SQLite event log block, from its comment down to the blank line that ends it.
    sqlite_block = re.compile(r"(?:^#[^\n]*\n)*^event_log_storage:\n(?:^[ ].*\n)+\n", re.MULTILINE)
    text, found = sqlite_block.subn(POSTGRES_STORAGE.read_text() + "\n", text)
    if found != 1:
        raise RuntimeError(f"{TEMPLATE} has no single event_log_storage block to replace")
    return text


def write_instance_config(home: Path, storage: str | None = None) -> Path:
    """The project's dagster.yaml in the instance directory `home` (storage: `JD_DAGSTER_STORAGE`)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    target.write_text(instance_config_text(home, storage or storage_kind()))
    return target


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the instance directory with the project's dagster.yaml and the pool limit."""
    home = settings.dagster_home
    if not (home / "dagster.yaml").exists():
        write_instance_config(home)
    else:
        _follow_moved_event_storage(home / "dagster.yaml")
    with _environment(instance_environment(settings)), _instance_or_config_error(home) as instance:
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
    return home


# Instances created before the package `jd_pipeline.ops` became `jd_pipeline.runtime` name the
# event storage by its old module; Dagster would fail to import it.
_MOVED_EVENT_STORAGE = ("module: jd_pipeline.ops.event_storage", "module: jd_pipeline.runtime.event_storage")


def _follow_moved_event_storage(config: Path) -> None:
    text = config.read_text()
    old, new = _MOVED_EVENT_STORAGE
    if old in text:
        config.write_text(text.replace(old, new))


def _instance_or_config_error(home: Path) -> dg.DagsterInstance:
    """The instance of `home`; an invalid dagster.yaml there (edited by hand) is a ConfigError
    naming the file, so the CLI prints one line instead of Dagster's traceback."""
    try:
        return dg.DagsterInstance.get()
    except dg.DagsterInvalidConfigError as exc:
        reason = exc.errors[0].message if exc.errors else str(exc).splitlines()[0]
        raise ConfigError(
            f"{home / 'dagster.yaml'} is not a valid Dagster instance configuration: {reason} "
            f"(compare it with {TEMPLATE}, or delete it to get the project default)"
        ) from None


def open_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance, prepared, with this process's environment pointing at it."""
    prepare_dagster_home(settings)
    os.environ.update(instance_environment(settings))
    return dg.DagsterInstance.get()


class _environment:
    """Set environment variables for a block, then restore them."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        self.saved = {name: os.environ.get(name) for name in self.values}
        os.environ.update(self.values)

    def __exit__(self, *_exc: object) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
