"""Runtime configuration, read from the environment (never from the repo).

`JD_DATA_DIR` (default `./data`) holds `landing/`, `warehouse/`, `serving/`, `reports/`.
`JD_RAW_LAKE_URL` (unset by default) also writes `raw.*` as Parquet there (docs/raw_lake.md).
Secrets such as the buyer-hash salt (`JD_BUYER_SALT`) come only from the environment.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
GX_DIR = REPO_ROOT / "great_expectations"
CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"

BUSINESS_TIMEZONE = "Asia/Shanghai"
DEFAULT_PARTITIONS_START = "2025-01-01"
# Used only by `jd-pipeline demo` (and tests) when JD_BUYER_SALT is unset; never for real data.
DEMO_BUYER_SALT = "jd-ops-warehouse-demo-salt-not-for-production"


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """Settings for every warehouse connection. DuckDB's default memory limit is 80% of RAM; a
    bounded one makes big joins spill to disk instead of growing the process (JD_DUCKDB_MEMORY_LIMIT)."""
    return {"memory_limit": os.environ.get("JD_DUCKDB_MEMORY_LIMIT", "2GB")}


class ConfigError(RuntimeError):
    """A required setting is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    partitions_start: str
    nightly_cron: str
    # Where the raw lake lives (a folder or an fsspec URL, docs/raw_lake.md); None: no lake.
    raw_lake_url: str | None = None

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def warehouse_db(self) -> Path:
        """The single-writer working warehouse. BI never reads this file."""
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.data_dir / "serving"

    @property
    def serving_db(self) -> Path:
        """The published, read-only copy that BI tools open."""
        return self.serving_dir / "warehouse.duckdb"

    @property
    def serving_parquet_dir(self) -> Path:
        return self.serving_dir / "parquet"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.data_dir / "dagster_home")

    def ensure_dirs(self) -> None:
        for path in (self.landing_dir, self.warehouse_dir, self.serving_dir, self.reports_dir):
            path.mkdir(parents=True, exist_ok=True)


def get_settings() -> Settings:
    """Read settings from the environment on every call (tests change it)."""
    data_dir = Path(os.environ.get("JD_DATA_DIR") or "./data").expanduser().resolve()
    return Settings(
        data_dir=data_dir,
        partitions_start=os.environ.get("JD_PARTITIONS_START", DEFAULT_PARTITIONS_START),
        nightly_cron=os.environ.get("JD_NIGHTLY_CRON", "0 2 * * *"),
        raw_lake_url=normalize_lake_url(os.environ.get("JD_RAW_LAKE_URL")),
    )


def normalize_lake_url(value: str | None) -> str | None:
    """`JD_RAW_LAKE_URL` as the lake code uses it: None when unset or blank, a folder as an
    absolute path (a relative one would move with the working directory), a URL (`s3://`,
    `file://`, `memory://`, ...) as given, without a trailing slash."""
    text = (value or "").strip()
    if not text:
        return None
    if "://" not in text:
        return str(Path(text).expanduser().resolve())
    return text.rstrip("/")


def check_data_dir(settings: Settings, *, must_exist: bool) -> None:
    """Raise ConfigError (one line, for an exit 2) when the data directory is missing
    (`must_exist`: a run over a missing JD_DATA_DIR would publish an empty warehouse), is not a
    directory, or it or one of its working folders is not writable. Checked before anything
    starts, so a read-only mount is reported as such rather than as a traceback mid-run."""
    d = settings.data_dir
    if not d.exists():
        if must_exist:
            raise ConfigError(
                f"JD_DATA_DIR {d} does not exist (set JD_DATA_DIR to the folder holding landing/)"
            )
        parent = next((p for p in d.parents if p.exists()), None)
        if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            raise ConfigError(
                f"JD_DATA_DIR {d} does not exist and cannot be created ({parent} is not writable)"
            )
        return
    if not d.is_dir():
        raise ConfigError(f"JD_DATA_DIR {d} is not a directory")
    for path in (
        d,
        settings.warehouse_dir,
        settings.serving_dir,
        settings.reports_dir,
        settings.dagster_home,
    ):
        if path.exists() and not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(f"{path} is not writable (read-only data directory?)")


def buyer_salt() -> str:
    """The salt for hashing 下单帐号 into `buyer_key`.

    Required in production. `JD_DEMO_MODE=1` (set by `jd-pipeline demo` and the tests) allows a
    fixed demo salt, with a warning, so demo data never needs a secret.
    """
    salt = os.environ.get("JD_BUYER_SALT")
    if salt:
        return salt
    if os.environ.get("JD_DEMO_MODE") == "1":
        log.warning("JD_BUYER_SALT is not set: using the fixed DEMO salt (demo data only).")
        return DEMO_BUYER_SALT
    raise ConfigError(
        "JD_BUYER_SALT is not set. Set it to a long random secret (kept outside the repo) "
        "before loading real 京麦 order exports; buyer accounts are stored only as salted hashes."
    )
