"""A PostgreSQL server of our own in a directory: for the tests, the benchmark and `make bi`.

Uses Debian's `postgresql` binaries (`initdb`, `pg_ctl`; scripts/system-packages.txt). PostgreSQL
refuses to run as root, and CI runs as root: then every server command runs as the `postgres`
system user (created by the Debian package) through `runuser`, and the data directory belongs
to that user. The server listens on 127.0.0.1 only, on a port chosen by the caller (a free one
by default), with password (scram-sha-256) authentication for TCP connections.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER = "jd_admin"
DEFAULT_DATABASE = "jd_serving"


class LocalPostgresError(RuntimeError):
    """The local server could not be created, started or stopped."""


@dataclass(frozen=True)
class LocalPostgres:
    data_dir: Path
    port: int
    user: str
    password: str
    database: str

    @property
    def dsn(self) -> str:
        """libpq key/value DSN without the password (that goes through `JD_PG_PASSWORD`)."""
        return f"host=127.0.0.1 port={self.port} dbname={self.database} user={self.user}"

    def env(self) -> dict[str, str]:
        """The settings `publish_postgres` reads."""
        return {"JD_PG_DSN": self.dsn, "JD_PG_PASSWORD": self.password}

    def admin_connection(self) -> psycopg.Connection:
        """The superuser on the `postgres` database, autocommit (creating and dropping databases)."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        )

    def fresh_database(self, name: str, bi_password: str) -> dict[str, str]:
        """Database `name` dropped and created empty; the JD_PG_* settings that publish to it."""
        with self.admin_connection() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{name}"')
        return {
            "JD_PG_DSN": f"host=127.0.0.1 port={self.port} dbname={name} user={self.user}",
            "JD_PG_PASSWORD": self.password,
            "JD_PG_BI_ROLE": "jd_bi_reader",
            "JD_PG_BI_PASSWORD": bi_password,
        }


def pg_bin_dir() -> Path:
    """`/usr/lib/postgresql/<newest>/bin` (or `$JD_PG_BIN`)."""
    if os.environ.get("JD_PG_BIN"):
        return Path(os.environ["JD_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    if not found:
        raise LocalPostgresError(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): run `make system-deps` "
            "(installs Debian's postgresql)"
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def init_cluster(data_dir: Path, password: str | None = None) -> str:
    """`initdb` a new cluster in `data_dir` (must not exist yet); returns the superuser password."""
    password = password or secrets.token_urlsafe(18)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(mode=0o700)
    pwfile = data_dir.parent / f".{data_dir.name}.pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    pwfile.chmod(0o600)
    try:
        _give_to_server_user(data_dir, pwfile)
        _run_as_server_user(
            [
                str(pg_bin_dir() / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
        )
    finally:
        pwfile.unlink(missing_ok=True)
    return password


def start(data_dir: Path, port: int, log_file: Path | None = None) -> None:
    """Start the server of `data_dir` on 127.0.0.1:`port` and wait until it accepts connections."""
    log_file = log_file or data_dir.parent / f"{data_dir.name}.log"
    log_file.touch()
    _give_to_server_user(log_file)
    # A serving database is rebuilt by any publish, so it needs no WAL for replicas or recovery;
    # with wal_level=minimal a COPY into a table created in the same transaction writes none.
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {data_dir} -c wal_level=minimal -c max_wal_senders=0"
    )
    try:
        _run_as_server_user(
            [
                str(pg_bin_dir() / "pg_ctl"),
                "-D",
                str(data_dir),
                "-l",
                str(log_file),
                "-o",
                options,
                "-w",
                "-t",
                "120",
                "start",
            ],
        )
    except LocalPostgresError as exc:
        tail = log_file.read_text(encoding="utf-8", errors="replace")[-3000:] if log_file.exists() else ""
        raise LocalPostgresError(f"{exc}\nserver log {log_file}:\n{tail}") from None


def stop(data_dir: Path) -> None:
    if (data_dir / "postmaster.pid").exists():
        _run_as_server_user([str(pg_bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"])


def create_database(server: LocalPostgres) -> None:
    """The server's own database, when it does not exist yet."""
    with server.admin_connection() as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [server.database]).fetchone()
        if not exists:
            con.execute(f'CREATE DATABASE "{server.database}"')


@contextmanager
def temporary_server(database: str = DEFAULT_DATABASE) -> Iterator[LocalPostgres]:
    """A new cluster in a new temporary directory, started on a free port; stopped and removed on
    exit. Not under pytest's tmp dirs: pytest resets /tmp/pytest-of-<user> to mode 0700 whenever a
    session starts, which would lock the `postgres` user out of a running cluster."""
    root = Path(tempfile.mkdtemp(prefix="jd-pg-"))
    try:
        data_dir = root / "pgdata"
        password = init_cluster(data_dir)
        server = LocalPostgres(data_dir, free_port(), SUPERUSER, password, database)
        start(data_dir, server.port)
        try:
            create_database(server)
            yield server
        finally:
            stop(data_dir)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------------------------


def _version_key(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


def _server_user() -> str | None:
    """None when we are not root (the server runs as us); else the `postgres` system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise LocalPostgresError(
            "running as root and there is no `postgres` system user to run the server as "
            "(Debian's postgresql package creates it): run `make system-deps`"
        ) from exc
    return "postgres"


def _give_to_server_user(*paths: Path) -> None:
    user = _server_user()
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for path in paths:
        os.chown(path, entry.pw_uid, entry.pw_gid)
        # The server user must be able to reach the path through its parents (pytest's tmp dirs
        # are 0700 and owned by root).
        for parent in path.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


def _run_as_server_user(command: list[str]) -> None:
    user = _server_user()
    full = ["runuser", "-u", user, "--", *command] if user else command
    result = subprocess.run(full, capture_output=True, text=True, check=False, cwd="/")
    if result.returncode != 0:
        raise LocalPostgresError(
            f"`{' '.join(command[:1])}` failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
