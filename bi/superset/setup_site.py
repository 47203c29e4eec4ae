"""Set up a Superset site and import the dashboards of bi/superset/assets; runs in `.venv-superset`.

    SUPERSET_CONFIG_PATH=… JD_SUPERSET_ADMIN_PASSWORD=… JD_SUPERSET_PG_URI=… JD_SUPERSET_PG_PASSWORD=… \\
        .venv-superset/bin/python bi/superset/setup_site.py --assets bi/superset/assets

What `superset db upgrade`, `superset fab create-admin` (or `reset-password`), `superset init` and
an import do, in one process: each `superset` command starts the whole app (~1 min on a busy
2-core machine).

The PostgreSQL connection of the bundle is re-pointed at `JD_SUPERSET_PG_URI` (no password in
it) and given `JD_SUPERSET_PG_PASSWORD` (the read-only BI role's). With `JD_SUPERSET_DUCKDB`, the
served DuckDB file is also registered as a read-only database for SQL Lab (one machine).
Everything is overwritten: the repo is the source of truth.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import yaml

PG_DATABASE_FILE = "databases/jd_serving_PostgreSQL.yaml"
DUCKDB_NAME = "jd_serving (DuckDB file)"
DUCKDB_UUID = "0f4c3f7e-8a37-5d0e-9d55-6f0c2d7b1a10"


def bundle(assets: Path) -> dict[str, str]:
    contents = {str(p.relative_to(assets)): p.read_text(encoding="utf-8") for p in sorted(assets.rglob("*.yaml"))}
    database = yaml.safe_load(contents[PG_DATABASE_FILE])
    database["sqlalchemy_uri"] = os.environ["JD_SUPERSET_PG_URI"]
    contents[PG_DATABASE_FILE] = yaml.safe_dump(database, allow_unicode=True)
    return contents


def database_only(contents: dict[str, str]) -> dict[str, str]:
    metadata = yaml.safe_load(contents["metadata.yaml"])
    return {
        "metadata.yaml": yaml.safe_dump({**metadata, "type": "Database"}),
        PG_DATABASE_FILE: contents[PG_DATABASE_FILE],
    }


def duckdb_bundle(path: str) -> dict[str, str]:
    database = {
        "database_name": DUCKDB_NAME, "sqlalchemy_uri": f"duckdb:///{path}?access_mode=read_only",
        "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False, "allow_cvas": False,
        "allow_dml": False, "allow_file_upload": False, "extra": {"allows_virtual_table_explore": True},
        "uuid": DUCKDB_UUID, "version": "1.0.0",
    }
    return {
        "metadata.yaml": yaml.safe_dump({"version": "1.0.0", "type": "Database", "timestamp": "2026-12-02T00:00:00+00:00"}),
        "databases/jd_serving_DuckDB.yaml": yaml.safe_dump(database, allow_unicode=True),
    }


def ensure_admin(security_manager, username: str, password: str) -> None:
    user = security_manager.find_user(username=username)
    if user is None:
        created = security_manager.add_user(
            username, "JD", "Admin", "admin@localhost", security_manager.find_role("Admin"), password=password
        )
        if not created:
            raise SystemExit(f"could not create the Superset user {username}")
    else:
        security_manager.reset_password(user.id, password)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=Path, required=True)
    parser.add_argument("--user", default="admin")
    args = parser.parse_args()

    import superset
    from flask import g
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import appbuilder, security_manager
        from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
        from superset.commands.database.importers.dispatcher import ImportDatabasesCommand

        upgrade(directory=str(Path(superset.__file__).parent / "migrations"))
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        ensure_admin(security_manager, args.user, os.environ["JD_SUPERSET_ADMIN_PASSWORD"])
        g.user = security_manager.find_user(username=args.user)
        contents = bundle(args.assets)
        passwords = {PG_DATABASE_FILE: os.environ["JD_SUPERSET_PG_PASSWORD"]}
        # The dashboard import never overwrites an existing database (its address changes: a
        # new port on every `make bi`): import the database on its own first.
        ImportDatabasesCommand(database_only(contents), passwords=passwords, overwrite=True).run()
        ImportDashboardsCommand(contents, passwords=passwords, overwrite=True).run()
        if os.environ.get("JD_SUPERSET_DUCKDB"):
            ImportDatabasesCommand(duckdb_bundle(os.environ["JD_SUPERSET_DUCKDB"]), overwrite=True).run()
    print("superset site ready, dashboards imported from", args.assets)


if __name__ == "__main__":
    main()
