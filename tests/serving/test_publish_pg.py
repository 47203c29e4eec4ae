"""Publish to a real PostgreSQL server: types, values, comments, keys, role, changed tables only, swap."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest

from jd_pipeline.serving import postgres_publish as publish_pg
from jd_pipeline.serving.duckdb_publish import PublishError
from jd_pipeline.serving.pg_settings import PgSettingsError, pg_settings


def build_served(path: Path, generation: str, *, sales_rows: int = 300, extra_gmv: str = "0") -> None:
    """A served DuckDB file shaped like publish_serving's output, with every value type the marts use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA ops")
        con.execute(f"""
            CREATE TABLE marts.fct_sales_daily AS
            SELECT DATE '2026-01-01' + CAST(i % 30 AS INTEGER) AS date_day, 'acme' AS brand,
                   CASE WHEN i % 30 < 15 THEN 'pop' ELSE 'self' END AS store_type,
                   'sku' || (i // 30) AS sku_id, CAST(i % 7 AS BIGINT) AS units,
                   CAST(i * 1.25 + {extra_gmv} AS DECIMAL(18,2)) AS gmv
            FROM range({sales_rows}) t(i)""")
        con.execute("""
            CREATE TABLE marts.fct_types (
                id INTEGER NOT NULL, label VARCHAR, amount DECIMAL(18,2), ratio DOUBLE, flag BOOLEAN,
                day DATE, seen_at TIMESTAMP, seen_tz TIMESTAMPTZ, ids VARCHAR[], figures JSON)""")
        con.execute("""
            INSERT INTO marts.fct_types VALUES
              (1, '', 0.01, 0.5, true, DATE '2026-02-28', TIMESTAMP '2026-03-01 08:30:00', TIMESTAMPTZ '2026-03-01 00:00:00+00', ['a','b'], '{"x": 1}'),
              (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
              (3, '京东, "自营"' || chr(10) || '第二行', -1234567890123456.78, -0.25, false, DATE '2024-02-29', TIMESTAMP '2026-03-01 23:59:59.123456', TIMESTAMPTZ '2026-03-01 16:00:00+08', [], '[1, 2]')""")
        con.execute("CREATE TABLE marts.fct_dupes AS SELECT 1 AS k, i AS v FROM range(3) t(i)")
        con.execute(f"CREATE TABLE ops.publish_info AS SELECT '{generation}' AS generation, 1 AS total_rows")
    finally:
        con.close()


def write_manifest(path: Path) -> Path:
    def column(desc: str, label: str | None = None) -> dict:
        return {"description": desc, "meta": {}, "config": {"meta": {"label_zh": label} if label else {}}}

    nodes = {
        "model.p.fct_sales_daily": {
            "resource_type": "model",
            "name": "fct_sales_daily",
            "schema": "marts",
            "description": "Daily sales per SKU.",
            "columns": {
                "gmv": column("Gross merchandise value.", "成交金额"),
                "units": column("Units sold."),
            },
        },
        "test.p.unique_combo": {
            "resource_type": "test",
            "attached_node": "model.p.fct_sales_daily",
            "test_metadata": {
                "name": "unique_combination_of_columns",
                "kwargs": {"combination_of_columns": ["date_day", "brand", "store_type", "sku_id"]},
            },
        },
        "model.p.fct_dupes": {
            "resource_type": "model",
            "name": "fct_dupes",
            "schema": "marts",
            "description": "",
            "columns": {},
        },
        "test.p.unique_k": {
            "resource_type": "test",
            "attached_node": "model.p.fct_dupes",
            "test_metadata": {"name": "unique", "kwargs": {"column_name": "k"}},
        },
    }
    path.write_text(json.dumps({"nodes": nodes}), encoding="utf-8")
    return path


@pytest.fixture
def served(tmp_path: Path) -> Path:
    path = tmp_path / "serving" / "warehouse.duckdb"
    build_served(path, "g1")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "manifest.json")


def admin(env: dict[str, str]) -> psycopg.Connection:
    return psycopg.connect(env["JD_PG_DSN"], password=env["JD_PG_PASSWORD"], autocommit=True)


def as_bi(env: dict[str, str]) -> psycopg.Connection:
    dsn = env["JD_PG_DSN"].rsplit("user=", 1)[0] + f"user={env['JD_PG_BI_ROLE']}"
    return psycopg.connect(dsn, password=env["JD_PG_BI_PASSWORD"], autocommit=True)


def test_not_configured_changes_nothing(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JD_PG_DSN", raising=False)
    assert pg_settings() is None
    assert publish_pg.publish_postgres(served) is None


def test_password_in_dsn_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JD_PG_DSN", "host=127.0.0.1 dbname=x user=u password=s3cret-value")
    with pytest.raises(PgSettingsError) as err:
        pg_settings()
    assert "JD_PG_PASSWORD" in str(err.value) and "s3cret-value" not in str(err.value)


def test_types_values_nulls_and_empty_strings_survive(pg_env: dict, served: Path, manifest: Path) -> None:
    result = publish_pg.publish_postgres(served, manifest_path=manifest)
    assert result is not None and result.generation == "g1"
    with admin(pg_env) as pg:
        types = dict(
            pg.execute(
                """SELECT column_name, CASE WHEN data_type = 'numeric'
                      THEN format('numeric(%s,%s)', numeric_precision, numeric_scale) ELSE data_type END
               FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = 'fct_types'"""
            ).fetchall()
        )
        assert types == {
            "id": "integer",
            "label": "text",
            "amount": "numeric(18,2)",
            "ratio": "double precision",
            "flag": "boolean",
            "day": "date",
            "seen_at": "timestamp without time zone",
            "seen_tz": "timestamp with time zone",
            "ids": "jsonb",
            "figures": "jsonb",
        }
        assert pg.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name = 'fct_sales_daily' AND column_name = 'gmv'"
        ).fetchone() == ("numeric",)
        rows = pg.execute(
            "SELECT id, label, amount, ratio, flag, day::text, seen_at::text, "
            "extract(epoch FROM seen_tz)::bigint, ids, figures FROM marts.fct_types ORDER BY id"
        ).fetchall()
    march_1 = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    assert rows[0] == (
        1,
        "",
        Decimal("0.01"),
        0.5,
        True,
        "2026-02-28",
        "2026-03-01 08:30:00",
        march_1,
        ["a", "b"],
        {"x": 1},
    )
    assert rows[1] == (2, None, None, None, None, None, None, None, None, None)
    assert rows[2] == (
        3,
        '京东, "自营"\n第二行',
        Decimal("-1234567890123456.78"),
        -0.25,
        False,
        "2024-02-29",
        "2026-03-01 23:59:59.123456",
        march_1 + 8 * 3600,
        [],
        [1, 2],
    )


def test_totals_equal_duckdb(pg_env: dict, served: Path, manifest: Path) -> None:
    publish_pg.publish_postgres(served, manifest_path=manifest)
    with duckdb.connect(str(served), read_only=True) as duck:
        expected = duck.execute(
            "SELECT store_type, count(*), sum(units), sum(gmv) FROM marts.fct_sales_daily GROUP BY 1 ORDER BY 1"
        ).fetchall()
    with admin(pg_env) as pg:
        got = pg.execute(
            "SELECT store_type, count(*), sum(units), sum(gmv) FROM marts.fct_sales_daily GROUP BY 1 ORDER BY 1"
        ).fetchall()
    # Known totals of the fixture: i = 0..299, gmv = 1.25 i; pop rows are i % 30 < 15.
    pop_gmv = sum(Decimal("1.25") * i for i in range(300) if i % 30 < 15)
    assert got == [(a, b, int(c), d) for a, b, c, d in expected]
    assert got[0][0] == "pop" and got[0][1] == 150 and got[0][3] == pop_gmv


def test_comments_from_dbt_docs_label_first(pg_env: dict, served: Path, manifest: Path) -> None:
    publish_pg.publish_postgres(served, manifest_path=manifest)
    with admin(pg_env) as pg:
        table = pg.execute(
            "SELECT obj_description('marts.fct_sales_daily'::regclass, 'pg_class')"
        ).fetchone()[0]
        cols = dict(
            pg.execute(
                """SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a
               WHERE a.attrelid = 'marts.fct_sales_daily'::regclass AND a.attnum > 0"""
            ).fetchall()
        )
    assert table == "Daily sales per SKU."
    assert cols["gmv"] == "成交金额 — Gross merchandise value."
    assert cols["units"] == "Units sold."
    assert cols["brand"] is None


def test_keys_on_the_grain(pg_env: dict, served: Path, manifest: Path) -> None:
    result = publish_pg.publish_postgres(served, manifest_path=manifest)
    keys = {t.name: (t.grain, t.key) for t in result.tables}
    assert keys["fct_sales_daily"] == (("date_day", "brand", "store_type", "sku_id"), "primary key")
    assert keys["fct_dupes"] == (("k",), "index")  # not unique on its grain: indexed, still published
    assert keys["fct_types"] == ((), "")
    storage = {t.name: t.storage for t in result.tables}
    with admin(pg_env) as pg:
        pk = pg.execute(
            """SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
               WHERE i.indrelid = format('jd_store.%%I', %s::text)::regclass AND i.indisprimary""",
            [storage["fct_sales_daily"]],
        ).fetchone()[0]
        assert pk == ["date_day", "brand", "store_type", "sku_id"]
        assert pg.execute("SELECT count(*) FROM marts.fct_dupes").fetchone()[0] == 3


def test_read_only_role(pg_env: dict, served: Path, manifest: Path) -> None:
    publish_pg.publish_postgres(served, manifest_path=manifest)
    with as_bi(pg_env) as bi:
        assert bi.execute("SELECT count(*) FROM marts.fct_sales_daily").fetchone()[0] == 300
        assert bi.execute("SELECT generation FROM ops.publish_info").fetchone()[0] == "g1"
        for statement in (
            "DELETE FROM marts.fct_sales_daily",
            "CREATE TABLE marts.x (i int)",
            "CREATE TABLE public.x (i int)",
            "SELECT count(*) FROM jd_store.pg_class_does_not_matter",
        ):
            with pytest.raises(psycopg.Error):
                bi.execute(statement)
        stored = bi.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'jd_store' LIMIT 1"
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute(f'SELECT * FROM jd_store."{stored}"')


def test_only_changed_tables_are_copied(pg_env: dict, tmp_path: Path, manifest: Path) -> None:
    served = tmp_path / "serving" / "warehouse.duckdb"
    build_served(served, "g1")
    first = publish_pg.publish_postgres(served, manifest_path=manifest)
    assert {t.name for t in first.tables if t.copied} == {
        "fct_sales_daily",
        "fct_types",
        "fct_dupes",
        "publish_info",
    }
    assert first.rows_per_second > 0

    build_served(served, "g2", extra_gmv="1")  # sales change, fct_types and fct_dupes do not
    second = publish_pg.publish_postgres(served, manifest_path=manifest)
    assert {t.name for t in second.tables if t.copied} == {"fct_sales_daily", "publish_info"}
    assert second.copied_rows == 301
    with admin(pg_env) as pg:
        assert pg.execute("SELECT sum(gmv) FROM marts.fct_sales_daily").fetchone()[0] == (
            sum(Decimal("1.25") * i for i in range(300)) + 300
        )
        assert pg.execute("SELECT generation FROM ops.publish_info").fetchone()[0] == "g2"
        # The replaced tables and views are gone; the kept ones are the first publish's.
        stored = {r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'jd_store'")}
        assert stored == {t.storage for t in second.tables}
        assert {t.storage for t in first.tables if t.name == "fct_types"} <= stored
        assert (
            pg.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'jd\\_old\\_\\_%'").fetchone()[0]
            == 0
        )
        assert [
            r[0] for r in pg.execute("SELECT generation FROM jd_publish.generations ORDER BY published_at")
        ] == ["g1", "g2"]


def test_a_foreign_schema_is_never_replaced(pg_env: dict, served: Path, manifest: Path) -> None:
    with admin(pg_env) as pg:
        pg.execute("CREATE SCHEMA marts; CREATE TABLE marts.theirs (i int)")
    with pytest.raises(PublishError, match="not created by the publisher"):
        publish_pg.publish_postgres(served, manifest_path=manifest)
    with admin(pg_env) as pg:
        assert pg.execute("SELECT count(*) FROM marts.theirs").fetchone()[0] == 0


def test_failed_publish_leaves_the_served_generation(
    pg_env: dict, tmp_path: Path, manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "serving" / "warehouse.duckdb"
    build_served(served, "g1")
    publish_pg.publish_postgres(served, manifest_path=manifest)
    build_served(served, "g2", extra_gmv="9")

    def broken_view(*args, **kwargs):
        raise psycopg.errors.DiskFull("simulated: no space left")

    monkeypatch.setattr(publish_pg, "_create_view", broken_view)
    with pytest.raises(PublishError):
        publish_pg.publish_postgres(served, manifest_path=manifest)
    with admin(pg_env) as pg:
        assert pg.execute("SELECT generation FROM ops.publish_info").fetchone()[0] == "g1"
        assert pg.execute("SELECT sum(gmv) FROM marts.fct_sales_daily").fetchone()[0] == (
            sum(Decimal("1.25") * i for i in range(300))
        )
        assert (
            pg.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'jd\\_next%'").fetchone()[0] == 0
        )


def test_a_copy_failing_beside_others_leaves_the_served_generation(
    pg_env: dict, tmp_path: Path, manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies run side by side: one failing fails the publish after the others end, nothing swapped."""
    served = tmp_path / "serving" / "warehouse.duckdb"
    build_served(served, "g1")
    publish_pg.publish_postgres(served, manifest_path=manifest)
    build_served(served, "g2", extra_gmv="9", sales_rows=330)
    real_copy = publish_pg._copy_rows
    copied: list[str] = []

    def copy_or_fail(duck, pg, schema, name, *args, **kwargs):
        if name == "fct_sales_daily":
            raise psycopg.errors.DiskFull("simulated: no space left")
        real_copy(duck, pg, schema, name, *args, **kwargs)
        copied.append(name)

    monkeypatch.setattr(publish_pg, "_copy_rows", copy_or_fail)
    monkeypatch.setenv("JD_PG_PUBLISH_JOBS", "2")
    with pytest.raises(PublishError, match="no space left"):
        publish_pg.publish_postgres(served, manifest_path=manifest)
    assert "publish_info" in copied  # the other changed table was copied meanwhile
    with admin(pg_env) as pg:
        assert pg.execute("SELECT generation FROM ops.publish_info").fetchone()[0] == "g1"
        assert pg.execute("SELECT count(*) FROM marts.fct_sales_daily").fetchone()[0] == 300
    monkeypatch.setattr(publish_pg, "_copy_rows", real_copy)
    result = publish_pg.publish_postgres(served, manifest_path=manifest)  # the next publish completes it
    with admin(pg_env) as pg:
        assert pg.execute("SELECT generation FROM ops.publish_info").fetchone()[0] == "g2"
        assert pg.execute("SELECT count(*), sum(gmv) FROM marts.fct_sales_daily").fetchone() == (
            330,
            sum(Decimal("1.25") * i + 9 for i in range(330)),
        )
    assert {t.name for t in result.tables if t.copied} == {"fct_sales_daily"}  # publish_info was kept


def test_serial_and_parallel_copies_store_the_same_rows(
    pg_env: dict, served: Path, manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    totals = []
    for jobs in ("1", "3"):
        monkeypatch.setenv("JD_PG_PUBLISH_JOBS", jobs)
        with admin(pg_env) as pg:
            for schema in ("marts", "ops", "jd_store", "jd_publish"):
                pg.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        result = publish_pg.publish_postgres(served, manifest_path=manifest)
        assert all(t.copied for t in result.tables) and result.copy_seconds > 0
        with admin(pg_env) as pg:
            totals.append(
                pg.execute(
                    "SELECT count(*), sum(gmv), min(sku_id), max(date_day) FROM marts.fct_sales_daily"
                ).fetchone()
                + pg.execute("SELECT count(*), sum(amount) FROM marts.fct_types").fetchone()
            )
    assert (
        totals[0]
        == totals[1]
        == (
            300,
            sum(Decimal("1.25") * i for i in range(300)),
            "sku0",
            datetime(2026, 1, 30).date(),
            3,
            Decimal("-1234567890123456.77"),
        )
    )


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_publish_jobs_must_be_a_positive_whole_number(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JD_PG_PUBLISH_JOBS", value)
    with pytest.raises(PublishError, match="JD_PG_PUBLISH_JOBS"):
        publish_pg.publish_jobs()


def test_readers_during_publishes_see_whole_generations(pg_env: dict, tmp_path: Path, manifest: Path) -> None:
    """20 concurrent BI-style readers while generations are published: no error, no torn read."""
    served = tmp_path / "serving" / "warehouse.duckdb"
    expected: dict[str, Decimal] = {}

    def publish(gen: int) -> None:
        build_served(served, f"g{gen}", extra_gmv=str(gen))
        expected[f"g{gen}"] = sum(Decimal("1.25") * i for i in range(300)) + 300 * gen
        publish_pg.publish_postgres(served, manifest_path=manifest)

    publish(0)
    stop = threading.Event()
    errors: list[str] = []
    seen: list[tuple[str, Decimal]] = []

    def reader() -> None:
        with as_bi(pg_env) as bi:
            while not stop.is_set():
                try:
                    seen.append(
                        bi.execute(
                            "SELECT (SELECT generation FROM ops.publish_info), "
                            "(SELECT sum(gmv) FROM marts.fct_sales_daily s JOIN marts.fct_types t ON t.id = 1)"
                        ).fetchone()
                    )
                except psycopg.Error as exc:
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=reader) for _ in range(20)]
    for t in threads:
        t.start()
    try:
        for gen in range(1, 5):
            publish(gen)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    torn = [(g, s) for g, s in seen if expected[g] != s]
    assert torn == []
    assert {g for g, _ in seen} >= {"g0", "g4"} and len(seen) > 100


def test_cli_publishes_the_served_file(pg_env: dict, data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    from jd_pipeline.cli import main
    from jd_pipeline.config import get_settings

    build_served(get_settings().serving_db, "g-cli")
    assert main(["publish-postgres"]) == 0
    out = capsys.readouterr().out
    assert "published generation g-cli" in out and "rows/s" in out
    assert "marts.fct_sales_daily: 300 rows, copied" in out
    with admin(pg_env) as pg:
        assert pg.execute("SELECT count(*) FROM marts.fct_sales_daily").fetchone()[0] == 300
