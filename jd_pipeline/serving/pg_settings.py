"""Settings of the optional PostgreSQL serving database, all from the environment.

- `JD_PG_DSN`: libpq connection string (`host=… port=… dbname=… user=…` or a `postgresql://` URL)
  of the publishing user. Unset: nothing is published to PostgreSQL.
- `JD_PG_PASSWORD`: that user's password (libpq's own `PGPASSWORD` / `~/.pgpass` work too).
  A password inside `JD_PG_DSN` is refused: the DSN ends up in logs and run metadata.
- `JD_PG_BI_ROLE` (default `jd_bi_reader`): the read-only role BI tools use.
- `JD_PG_BI_PASSWORD`: when set, that role can log in with this password; unset, it is a group
  role (NOLOGIN) to grant to each BI user.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

DEFAULT_BI_ROLE = "jd_bi_reader"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PgSettingsError(ValueError):
    """A PostgreSQL setting is malformed."""


@dataclass(frozen=True)
class PgSettings:
    dsn: str
    password: str | None
    bi_role: str
    bi_password: str | None

    def connect_kwargs(self) -> dict[str, str]:
        return {"password": self.password} if self.password else {}

    def describe(self) -> str:
        """The DSN with nothing secret in it (it has no password by construction)."""
        return self.dsn


def pg_settings() -> PgSettings | None:
    """The PostgreSQL serving settings, or None when `JD_PG_DSN` is not set."""
    dsn = os.environ.get("JD_PG_DSN", "").strip()
    if not dsn:
        return None
    if _has_password(dsn):
        raise PgSettingsError(
            "JD_PG_DSN contains a password: remove it from the DSN and set JD_PG_PASSWORD instead "
            "(the DSN is written to logs and run metadata)"
        )
    role = os.environ.get("JD_PG_BI_ROLE", DEFAULT_BI_ROLE).strip()
    if not _IDENTIFIER.match(role):
        raise PgSettingsError(f"JD_PG_BI_ROLE must be a lower-case SQL identifier, got {role!r}")
    return PgSettings(
        dsn=dsn,
        password=os.environ.get("JD_PG_PASSWORD") or None,
        bi_role=role,
        bi_password=os.environ.get("JD_PG_BI_PASSWORD") or None,
    )


def _has_password(dsn: str) -> bool:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return bool(conninfo_to_dict(dsn).get("password"))
    except Exception:  # noqa: BLE001 - psycopg raises ProgrammingError on a bad DSN
        # Its message may quote the DSN (and a password in it): not repeated here.
        raise PgSettingsError("JD_PG_DSN is not a valid libpq connection string") from None
