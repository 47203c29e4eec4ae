"""Publish writes only what changed: kept tables, changed days, Parquet shared by hard links."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from jd_pipeline.config import get_settings
from jd_pipeline.serving import duckdb_publish as pub


def rows_of(db: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def parquet_rows(settings, table: str) -> list[tuple]:
    """The table's rows as BI reads them from the Parquet generation: one file, or a folder of months."""
    schema, name = table.split(".")
    root = settings.serving_parquet_dir.resolve() / schema
    files = root / name / "*.parquet" if (root / name).is_dir() else root / f"{name}.parquet"
    with duckdb.connect() as con:
        return con.execute(f"SELECT * FROM read_parquet('{files}') ORDER BY ALL").fetchall()


def assert_served_equals_source(settings, tables: list[str]) -> None:
    for table in tables:
        source = rows_of(settings.warehouse_db, table)
        assert rows_of(settings.serving_db, table) == source, table
        assert parquet_rows(settings, table) == source, f"{table} (Parquet)"


def by_name(result: pub.PublishResult) -> dict[str, pub.PublishedTable]:
    return {t.qualified_name: t for t in result.tables}


def change(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)


ALL = ["marts.fct_sales_daily", "marts.fct_gen", "ops.load_manifest", "ops.gen_marker"]


def test_a_nightly_publish_writes_the_changed_days_and_keeps_the_rest(working_warehouse: Path) -> None:
    settings = get_settings()
    first = pub.publish_serving(settings)
    assert {t.action for t in first.tables} == {"copied"}
    first_file = hashlib.sha256(settings.serving_db.read_bytes()).hexdigest()
    first_parquet = settings.serving_parquet_dir.resolve()
    # a restated day (50 of its rows change) and a new day of 10 rows
    change(
        working_warehouse,
        "UPDATE marts.fct_sales_daily SET gmv = gmv + 1 WHERE date_day = DATE '2026-11-05'",
        "INSERT INTO marts.fct_sales_daily SELECT DATE '2026-11-21', brand, store_type, sku_id, units, gmv, "
        "net_sales, orders, buyers, generation FROM marts.fct_sales_daily WHERE date_day = DATE '2026-11-01' LIMIT 10",
    )

    second = by_name(pub.publish_serving(settings))

    assert (second["marts.fct_sales_daily"].action, second["marts.fct_sales_daily"].written_rows) == (
        "updated",
        60,
    )
    assert second["marts.fct_sales_daily"].row_count == 1010
    assert {n: (t.action, t.written_rows) for n, t in second.items() if n != "marts.fct_sales_daily"} == {
        "marts.fct_gen": ("kept", 0),
        "ops.load_manifest": ("kept", 0),
        "ops.gen_marker": ("kept", 0),
    }
    assert_served_equals_source(settings, ALL)
    # the replaced file is kept byte-identical as the previous generation
    assert hashlib.sha256(pub.previous_path(settings).read_bytes()).hexdigest() == first_file
    # Parquet: kept tables share the file of the generation before, the changed month is new
    parquet = settings.serving_parquet_dir.resolve()
    assert parquet != first_parquet
    assert same_file(parquet, first_parquet, "marts/fct_gen.parquet")
    assert not same_file(parquet, first_parquet, "marts/fct_sales_daily/2026-11.parquet")
    assert same_file(parquet, first_parquet, "marts/fct_sales_daily/undated.parquet")


def same_file(generation: Path, other: Path, relative: str) -> bool:
    """Whether two Parquet generations share `relative` (one file, hard-linked)."""
    return (generation / relative).stat().st_ino == (other / relative).stat().st_ino


def test_a_night_rewrites_the_months_it_restated_and_links_the_others(working_warehouse: Path) -> None:
    settings = get_settings()
    change(  # three months of history: September and October beside November
        working_warehouse,
        "INSERT INTO marts.fct_sales_daily SELECT date_day - INTERVAL 61 DAY, brand, store_type, sku_id, units, "
        "gmv, net_sales, orders, buyers, generation FROM marts.fct_sales_daily",
        "INSERT INTO marts.fct_sales_daily SELECT date_day - INTERVAL 31 DAY, brand, store_type, sku_id, units, "
        "gmv, net_sales, orders, buyers, generation FROM marts.fct_sales_daily WHERE date_day >= DATE '2026-11-01'",
    )
    pub.publish_serving(settings)
    first = settings.serving_parquet_dir.resolve()
    assert sorted(p.name for p in (first / "marts/fct_sales_daily").iterdir()) == [
        "2026-09.parquet",
        "2026-10.parquet",
        "2026-11.parquet",
        "undated.parquet",
    ]
    change(
        working_warehouse, "UPDATE marts.fct_sales_daily SET gmv = gmv + 1 WHERE date_day = DATE '2026-10-05'"
    )

    result = by_name(pub.publish_serving(settings))

    assert result["marts.fct_sales_daily"].changed_months == ("2026-10",)
    second = settings.serving_parquet_dir.resolve()
    linked = {
        month: same_file(second, first, f"marts/fct_sales_daily/{month}.parquet")
        for month in ("2026-09", "2026-10", "2026-11", "undated")
    }
    assert linked == {"2026-09": True, "2026-10": False, "2026-11": True, "undated": True}
    assert_served_equals_source(settings, ALL)


@pytest.mark.integration
def test_every_kind_of_restatement_leaves_the_served_copy_equal_to_the_source(
    working_warehouse: Path,
) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    steps = [
        ["DELETE FROM marts.fct_sales_daily WHERE date_day = DATE '2026-11-03'"],  # a day withdrawn
        [
            (
                "INSERT INTO marts.fct_sales_daily SELECT NULL, brand, store_type, sku_id, units, gmv, net_sales, orders, "
                "buyers, generation FROM marts.fct_sales_daily WHERE date_day = DATE '2026-11-04' LIMIT 3"
            )
        ],  # NULL day
        [
            (
                "INSERT INTO marts.fct_sales_daily SELECT * FROM marts.fct_sales_daily "
                "WHERE date_day = DATE '2026-11-06' LIMIT 2"
            )
        ],  # duplicated rows (a multiset, not a set)
        [
            "UPDATE marts.fct_sales_daily SET sku_id = 'renamed' WHERE date_day IS NULL"
        ],  # the NULL day restated
        [
            "UPDATE ops.load_manifest SET status = 'superseded' WHERE period = '2026-11-25'"
        ],  # a table without dates
    ]
    for statements in steps:
        change(working_warehouse, *statements)
        result = by_name(pub.publish_serving(settings))
        assert_served_equals_source(settings, ALL)
        assert result["marts.fct_gen"].action == "kept"
    assert result["ops.load_manifest"].action == "copied"  # no DATE column: the whole (small) table


def test_new_columns_or_mostly_changed_tables_are_copied_whole(working_warehouse: Path) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    change(
        working_warehouse,
        "ALTER TABLE marts.fct_gen ADD COLUMN note VARCHAR DEFAULT 'x'",
        "UPDATE marts.fct_sales_daily SET units = units + 1 WHERE date_day < DATE '2026-11-15'",  # 14 of 20 days
    )
    result = by_name(pub.publish_serving(settings))
    assert (result["marts.fct_gen"].action, result["marts.fct_sales_daily"].action) == ("copied", "copied")
    assert_served_equals_source(settings, ALL)


def test_an_update_that_does_not_reproduce_the_source_is_not_published(
    working_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    before = hashlib.sha256(settings.serving_db.read_bytes()).hexdigest()
    change(working_warehouse, "UPDATE marts.fct_sales_daily SET gmv = 0 WHERE date_day = DATE '2026-11-02'")
    monkeypatch.setattr(pub, "_replace_partitions", lambda *args, **kwargs: None)  # a bug: writes nothing
    with pytest.raises(pub.PublishError, match="does not equal its source"):
        pub.publish_serving(settings)
    assert hashlib.sha256(settings.serving_db.read_bytes()).hexdigest() == before


def test_roll_back_after_changed_only_publishes_serves_a_whole_generation(working_warehouse: Path) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    change(
        working_warehouse, "UPDATE marts.fct_sales_daily SET gmv = gmv + 2 WHERE date_day = DATE '2026-11-07'"
    )
    pub.publish_serving(settings)
    with duckdb.connect(str(working_warehouse), read_only=True) as con:
        second_total = con.execute("SELECT sum(gmv) FROM marts.fct_sales_daily").fetchone()[0]
    change(
        working_warehouse, "UPDATE marts.fct_sales_daily SET gmv = gmv + 3 WHERE date_day = DATE '2026-11-08'"
    )
    pub.publish_serving(settings)  # prunes the first generation, whose fct_gen file the others share

    pub.rollback_serving(settings)

    parquet = settings.serving_parquet_dir.resolve()
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        generation = con.execute(f"SELECT generation FROM ops.{pub.PUBLISH_INFO_TABLE}").fetchone()[0]
        served = con.execute(
            "SELECT sum(gmv), (SELECT count(*) FROM marts.fct_gen) FROM marts.fct_sales_daily"
        ).fetchone()
    with duckdb.connect() as con:
        from_parquet = con.execute(
            f"SELECT (SELECT sum(gmv) FROM read_parquet('{parquet}/marts/fct_sales_daily/*.parquet')), "
            f"(SELECT count(*) FROM read_parquet('{parquet}/marts/fct_gen.parquet'))"
        ).fetchone()
    assert parquet.name == generation
    assert served == from_parquet == (second_total, 1000)


def test_a_served_file_without_fingerprints_is_replaced_whole(working_warehouse: Path) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    change(
        settings.serving_db, f"ALTER TABLE ops.{pub.PUBLISH_INFO_TABLE} DROP COLUMN fingerprints"
    )  # older publish
    result = pub.publish_serving(settings)
    assert {t.action for t in result.tables} == {"copied"}
    assert_served_equals_source(settings, ALL)


def test_postgres_takes_the_recorded_fingerprints_and_copies_the_changed_table_only(
    pg_env: dict, working_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from jd_pipeline.serving import postgres_publish as publish_pg

    settings = get_settings()
    pub.publish_serving(settings)
    first = publish_pg.publish_postgres(settings.serving_db, manifest_path=Path("/nonexistent"))
    assert all(t.copied for t in first.tables)
    change(
        working_warehouse, "UPDATE marts.fct_sales_daily SET gmv = gmv + 5 WHERE date_day = DATE '2026-11-09'"
    )
    pub.publish_serving(settings)

    hashed: list[str] = []
    real = publish_pg._fingerprint
    monkeypatch.setattr(
        publish_pg,
        "_fingerprint",
        lambda duck, schema, name, columns, grain, recorded=None: (
            (hashed.append(name) if recorded is None else None)
            or real(duck, schema, name, columns, grain, recorded)
        ),
    )
    second = publish_pg.publish_postgres(settings.serving_db, manifest_path=Path("/nonexistent"))

    assert hashed == ["publish_info"]  # stamped after the fingerprints: the only table hashed here
    assert sorted(f"{t.schema}.{t.name}" for t in second.tables if t.copied) == [
        "marts.fct_sales_daily",
        "ops.publish_info",
    ]
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        expected = con.execute("SELECT count(*), sum(gmv) FROM marts.fct_sales_daily").fetchone()
    with psycopg.connect(pg_env["JD_PG_DSN"], password=pg_env["JD_PG_PASSWORD"], autocommit=True) as pg:
        assert pg.execute("SELECT count(*), sum(gmv) FROM marts.fct_sales_daily").fetchone() == expected
