"""Serving: the published copy BI reads (DuckDB file + Parquet, optionally PostgreSQL).

- `duckdb_publish`: `publish_serving`, `rollback_serving`: the served DuckDB file and Parquet
  generation, only changed tables copied.
- `postgres_publish`: the same generation in a PostgreSQL database, swapped by schema rename.
- `local_postgres`: a throw-away PostgreSQL server (tests, `make bi`).
"""
