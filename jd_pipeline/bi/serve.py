"""`make bi`: Superset on 127.0.0.1:8088 with the three dashboards, on the PostgreSQL serving database.

1. No served DuckDB file yet (fresh clone): run the demo first (`jd-pipeline demo`).
2. PostgreSQL: `JD_PG_DSN` (+ `JD_PG_PASSWORD`, `JD_PG_BI_PASSWORD`) when set; otherwise a local
   server of our own in `$JD_DATA_DIR/bi/postgres` (Debian's binaries, a free port each start,
   passwords generated and kept there, mode 0600).
3. Publish the served file to it (only changed tables are copied).
4. Superset in `$JD_DATA_DIR/bi/superset`: metadata, admin user, the dashboards of
   bi/superset/assets imported; the web server runs until Ctrl-C.

Settings: `JD_BI_PORT` (default 8088), `JD_BI_ADMIN_PASSWORD` (else generated once and printed).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from jd_pipeline.bi.superset import (
    ADMIN_USER,
    ServingDatabase,
    SupersetError,
    open_site,
    prepare,
    start,
    stop,
)
from jd_pipeline.config import get_settings
from jd_pipeline.serving import local_postgres
from jd_pipeline.serving.pg_settings import pg_settings
from jd_pipeline.serving.postgres_publish import publish_postgres


def main() -> int:
    settings = get_settings()
    port = int(os.environ.get("JD_BI_PORT", "8088"))
    if not settings.serving_db.exists():
        print(f"== no published marts at {settings.serving_db}: running the demo first (`jd-pipeline demo`)")
        subprocess.run([str(Path(sys.executable).with_name("jd-pipeline")), "demo"], check=True)
    bi_dir = settings.data_dir / "bi"
    with serving_postgres(bi_dir / "postgres") as env:
        os.environ.update(env)
        pg = pg_settings()
        assert pg is not None
        print(f"== publishing {settings.serving_db} to PostgreSQL ({pg.describe()})")
        result = publish_postgres(settings.serving_db, pg)
        assert result is not None
        print(
            f"   {sum(t.copied for t in result.tables)} table(s) copied, {result.copied_rows:,} rows, "
            f"{result.duration_seconds:.1f}s"
        )
        if not pg.bi_password:
            raise SystemExit(
                "JD_PG_BI_PASSWORD is not set: Superset logs in as the read-only BI role with it"
            )
        dsn = conninfo_to_dict(pg.dsn)
        serving = ServingDatabase(
            host=str(dsn.get("host", "127.0.0.1")),
            port=int(dsn.get("port") or 5432),
            dbname=str(dsn["dbname"]),
            user=pg.bi_role,
            password=pg.bi_password,
            duckdb_path=settings.serving_db,
        )
        site = open_site(bi_dir / "superset")
        try:
            prepare(site, serving, progress=lambda m: print("== " + m))
            process = start(site, port)
        except SupersetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(
            f"\nSuperset is running: http://127.0.0.1:{port}/dashboard/list/\n"
            f"  log in as: {ADMIN_USER}\n"
            f"  password:  {site.admin_password}  "
            f"({'from JD_BI_ADMIN_PASSWORD' if os.environ.get('JD_BI_ADMIN_PASSWORD') else 'generated, kept in ' + str(site.home / 'admin_password')})\n"
            "  dashboards: 经营概览, 广告, OPEX 与 P&L\n"
            "Ctrl-C stops Superset (and the local PostgreSQL server)."
        )
        try:
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop(process)
    return 0


@contextmanager
def serving_postgres(cluster_dir: Path) -> Iterator[dict[str, str]]:
    """The JD_PG_* settings to publish with: the user's own, or a local server started here."""
    if os.environ.get("JD_PG_DSN"):
        yield {}
        return
    secret_file = cluster_dir.parent / "postgres.secrets"
    if not (cluster_dir / "PG_VERSION").exists():
        password = local_postgres.init_cluster(cluster_dir)
        bi_password = secrets.token_urlsafe(12)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{password}\n{bi_password}\n")
    password, bi_password = secret_file.read_text(encoding="utf-8").split()[:2]
    port = local_postgres.free_port()
    print(f"== starting the local PostgreSQL serving database on 127.0.0.1:{port} ({cluster_dir})")
    try:
        local_postgres.stop(cluster_dir)  # a server left running by a killed `make bi`
    except local_postgres.LocalPostgresError:
        (cluster_dir / "postmaster.pid").unlink(missing_ok=True)  # stale: that server is gone
    local_postgres.start(cluster_dir, port)
    server = local_postgres.LocalPostgres(
        cluster_dir, port, local_postgres.SUPERUSER, password, local_postgres.DEFAULT_DATABASE
    )
    try:
        local_postgres.create_database(server)
        yield {**server.env(), "JD_PG_BI_PASSWORD": bi_password}
    finally:
        local_postgres.stop(cluster_dir)


if __name__ == "__main__":
    raise SystemExit(main())
