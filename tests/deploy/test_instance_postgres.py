"""A Dagster instance on PostgreSQL (dagster-postgres), as the project writes it with
`JD_DAGSTER_STORAGE=postgres`, on the repository's local PostgreSQL server: runs, event log and
schedules in the database, the warehouse pool's limit kept there, and a tiny job recorded.
"""

from __future__ import annotations

import dagster as dg
import psycopg
import pytest

from jd_pipeline.defs.resources import WAREHOUSE_POOL

pytestmark = pytest.mark.postgres

DATABASE = "dagster_instance"


@dg.asset(pool=WAREHOUSE_POOL)
def tiny_raw() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset(pool=WAREHOUSE_POOL, deps=[tiny_raw])
def tiny_mart() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 2})


tiny_job = dg.define_asset_job("tiny_job", selection=[tiny_raw, tiny_mart])
TINY_DEFS = dg.Definitions(assets=[tiny_raw, tiny_mart], jobs=[tiny_job])


def test_instance_on_postgres_runs_a_job(pg_server, data_dir, monkeypatch) -> None:
    from jd_pipeline.config import get_settings
    from jd_pipeline.runtime.instance import open_instance

    with pg_server.admin_connection() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{DATABASE}"')
    for name, value in {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(pg_server.port),
        "DAGSTER_PG_USER": pg_server.user,
        "DAGSTER_PG_PASSWORD": pg_server.password,
        "DAGSTER_PG_DB": DATABASE,
        "JD_DAGSTER_STORAGE": "postgres",
    }.items():
        monkeypatch.setenv(name, value)

    instance = open_instance(get_settings())  # writes dagster.yaml, sets the pool limit
    home = data_dir / "dagster_home"
    assert pg_server.password not in (home / "dagster.yaml").read_text()
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1

        result = TINY_DEFS.resolve_job_def("tiny_job").execute_in_process(instance=instance)
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        event = instance.get_latest_materialization_event(dg.AssetKey("tiny_mart"))
        assert event is not None and event.run_id == result.run_id
    finally:
        instance.dispose()

    # in the database itself, not in files under the instance directory
    with psycopg.connect(
        host="127.0.0.1",
        port=pg_server.port,
        user=pg_server.user,
        password=pg_server.password,
        dbname=DATABASE,
    ) as con:
        assert con.execute("select count(*) from runs where run_id = %s", [result.run_id]).fetchone() == (1,)
        steps = con.execute(
            "select count(*) from event_logs where run_id = %s and dagster_event_type = 'STEP_SUCCESS'",
            [result.run_id],
        ).fetchone()
        assert steps == (2,)
        slots = con.execute(
            "select count(*) from concurrency_slots where concurrency_key = %s and deleted = false",
            [WAREHOUSE_POOL],
        ).fetchone()
        assert slots == (1,)
    assert not (home / "history").exists()
