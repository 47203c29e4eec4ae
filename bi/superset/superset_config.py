# Superset configuration of `make bi` and the BI browser test (jd_pipeline/bi/superset.py sets the
# environment). Everything secret or machine-specific comes from the environment; nothing here
# is a secret.
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]  # generated per install, kept outside git
SQLALCHEMY_DATABASE_URI = os.environ["JD_SUPERSET_METADATA_URI"]  # Superset's own metadata

BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

# One machine, no internet: no telemetry, no CDN, no example data.
SCHEDULED_QUERIES: dict = {}
FEATURE_FLAGS = {"ALERT_REPORTS": False, "THUMBNAILS": False, "ENABLE_TEMPLATE_PROCESSING": False}
THUMBNAIL_SELENIUM_USER = None
SUPERSET_WEBSERVER_TIMEOUT = 120
# Charts ask the serving database every time: a new publish is visible at the next refresh.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
RATELIMIT_STORAGE_URI = "memory://"
# Served on 127.0.0.1 over plain HTTP: a secure-only session cookie would never come back.
SESSION_COOKIE_SECURE = False
TALISMAN_ENABLED = False
# The DuckDB file is opened read-only through duckdb-engine (docs/bi_access.md).
PREVENT_UNSAFE_DB_CONNECTIONS = False
