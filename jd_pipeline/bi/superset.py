"""Run Apache Superset (its own virtualenv, `.venv-superset`) on the PostgreSQL serving database.

Superset pins pandas < 2.2 and SQLAlchemy < 2, which fight the pipeline's, so it never shares our
environment: this module drives `.venv-superset/bin/superset` and `gunicorn` as subprocesses.
A *site* is one Superset home directory: its metadata database (SQLite), its secret key and
admin password (both generated there, mode 0600, unless given by the environment), and the
dashboards of `bi/superset/assets` imported into it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from jd_pipeline.config import REPO_ROOT

SUPERSET_DIR = REPO_ROOT / "bi" / "superset"
ASSETS_DIR = SUPERSET_DIR / "assets"
VENV_DIR = Path(os.environ.get("JD_SUPERSET_VENV", REPO_ROOT / ".venv-superset"))
ADMIN_USER = "admin"


class SupersetError(RuntimeError):
    """Superset could not be set up or started."""


@dataclass(frozen=True)
class ServingDatabase:
    """Where Superset reads the marts: the PostgreSQL serving database, as the read-only role."""

    host: str
    port: int
    dbname: str
    user: str
    password: str
    duckdb_path: Path | None = None  # also registered for SQL Lab (one machine)

    @property
    def uri(self) -> str:
        """SQLAlchemy URI with Superset's password mask: the importer puts the password in its place."""
        return f"postgresql+psycopg2://{self.user}:XXXXXXXXXX@{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True)
class SupersetSite:
    home: Path
    admin_password: str
    secret_key: str

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
            "SUPERSET_HOME": str(self.home),
            "SUPERSET_SECRET_KEY": self.secret_key,
            "JD_SUPERSET_METADATA_URI": f"sqlite:///{self.home / 'superset.db'}",
            "FLASK_APP": "superset.app:create_app()",
            "PYTHONPATH": str(SUPERSET_DIR),
        }


def superset_bin(name: str) -> Path:
    path = VENV_DIR / "bin" / name
    if not path.exists():
        raise SupersetError(f"{path} is missing: run `make superset-install` (creates {VENV_DIR})")
    return path


def open_site(home: Path) -> SupersetSite:
    """The site in `home`: secret key and admin password from the environment or kept in `home`."""
    home.mkdir(parents=True, exist_ok=True)
    return SupersetSite(
        home=home,
        admin_password=os.environ.get("JD_BI_ADMIN_PASSWORD") or _kept_secret(home / "admin_password"),
        secret_key=os.environ.get("SUPERSET_SECRET_KEY") or _kept_secret(home / "secret_key", 42),
    )


def prepare(site: SupersetSite, serving: ServingDatabase, progress=print) -> None:
    """Create or upgrade the metadata database, the admin user and roles; import the dashboards
    (bi/superset/setup_site.py, one process in `.venv-superset`)."""
    progress("superset: metadata database, admin user, dashboards of bi/superset/assets (~1-3 min)")
    env = {
        **site.env(),
        "JD_SUPERSET_ADMIN_PASSWORD": site.admin_password,
        "JD_SUPERSET_PG_URI": serving.uri,
        "JD_SUPERSET_PG_PASSWORD": serving.password,
    }
    if serving.duckdb_path:
        env["JD_SUPERSET_DUCKDB"] = str(serving.duckdb_path)
    _run(
        [
            str(superset_bin("python")),
            str(SUPERSET_DIR / "setup_site.py"),
            "--assets",
            str(ASSETS_DIR),
            "--user",
            ADMIN_USER,
        ],
        env,
    )


def start(site: SupersetSite, port: int, host: str = "127.0.0.1", timeout: float = 180.0) -> subprocess.Popen:
    """Start Superset's web server (gunicorn) and wait until /health answers."""
    log = open(site.home / "superset-web.log", "ab")  # noqa: SIM115 - owned by the process
    process = subprocess.Popen(
        [
            str(superset_bin("gunicorn")),
            "--bind",
            f"{host}:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            "superset.app:create_app()",
        ],
        env=site.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=site.home,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SupersetError(
                f"superset exited ({process.returncode}); see {site.home / 'superset-web.log'}"
            )
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=5) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    stop(process)
    raise SupersetError(f"superset did not answer on {host}:{port} within {timeout:.0f}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------------------------


def _kept_secret(path: Path, nbytes: int = 12) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def _run(command: list[str], env: dict[str, str]) -> None:
    # Arguments can hold the admin password: never echoed; the output tail explains failures.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shown = " ".join(Path(command[0]).name if i == 0 else a for i, a in enumerate(command[:3]))
        output = (result.stdout + result.stderr)[-4000:]
        print(output, file=sys.stderr)
        raise SupersetError(f"`{shown} …` failed ({result.returncode})")
