"""Publish: atomic swap, previous generation, Parquet generations, failures leave serving unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from jd_pipeline.config import get_settings
from jd_pipeline.serving import duckdb_publish as pub
from tests.serving.conftest import build_working_warehouse


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def served_tables(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in names}


def leftovers(serving: Path) -> list[str]:
    found = [p.name for p in serving.glob(".publish-*") if p.name != ".publish.lock"]
    gens = serving / pub.PARQUET_GENERATIONS_DIR
    if gens.exists():
        found += [p.name for p in gens.glob(".publish-*")]
    return found


def test_publish_copies_marts_and_ops_only(working_warehouse: Path) -> None:
    settings = get_settings()
    result = pub.publish_serving(settings)

    tables = served_tables(settings.serving_db)
    assert tables == {
        "marts.fct_gen": 1000,
        "marts.fct_sales_daily": 1000,
        "ops.gen_marker": 1,
        "ops.load_manifest": 4,
        "ops.publish_info": 1,
    }
    assert {t.qualified_name: t.row_count for t in result.tables} == {
        k: v for k, v in tables.items() if k != "ops.publish_info"
    }
    assert result.total_rows == 2005 and result.duration_seconds > 0
    assert result.previous_path is None
    # Parquet through the `parquet` symlink: a file per month of a dated table, decimals kept
    parquet = settings.serving_parquet_dir
    assert parquet.is_symlink()
    assert sorted(str(p.relative_to(parquet)) for p in parquet.rglob("*.parquet")) == [
        "marts/fct_gen.parquet",
        "marts/fct_sales_daily/2026-11.parquet",
        "marts/fct_sales_daily/undated.parquet",
        "ops/gen_marker.parquet",
        "ops/load_manifest.parquet",
    ]
    with duckdb.connect() as con:
        gmv_type = con.execute(
            f"SELECT typeof(gmv) FROM read_parquet('{parquet}/marts/fct_sales_daily/*.parquet') LIMIT 1"
        ).fetchone()[0]
    assert gmv_type == "DECIMAL(18,2)"
    info = json.loads((settings.serving_dir / "publish.json").read_text())
    assert info["generation"] == result.generation and info["total_rows"] == 2005
    assert leftovers(settings.serving_dir) == []


def test_second_publish_keeps_previous_generation(working_warehouse: Path) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    first = sha256(settings.serving_db)
    first_parquet = settings.serving_parquet_dir.resolve()
    build_working_warehouse(settings.warehouse_db, generation=2, rows=10)
    result = pub.publish_serving(settings)

    assert sha256(pub.previous_path(settings)) == first
    assert result.previous_path == str(pub.previous_path(settings))
    assert served_tables(settings.serving_db)["marts.fct_gen"] == 10
    assert settings.serving_parquet_dir.resolve() != first_parquet
    # a third publish prunes the oldest Parquet generation, keeps current + previous
    pub.publish_serving(settings)
    generations = [p for p in (settings.serving_dir / pub.PARQUET_GENERATIONS_DIR).iterdir()]
    assert len(generations) == 2 and not first_parquet.exists()
    # roll back: the previous file is served again
    before_rollback = sha256(settings.serving_db)
    previous = sha256(pub.previous_path(settings))
    served_parquet = settings.serving_parquet_dir.resolve()
    pub.rollback_serving(settings)
    assert sha256(settings.serving_db) == previous
    assert sha256(pub.previous_path(settings)) == before_rollback
    # the Parquet copy follows the DuckDB file: both are the rolled-back generation
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        generation = con.execute(f"SELECT generation FROM ops.{pub.PUBLISH_INFO_TABLE}").fetchone()[0]
    assert settings.serving_parquet_dir.resolve().name == generation != served_parquet.name
    assert served_parquet.exists()  # the rolled-away generation is kept (roll forward again)


@pytest.mark.integration
def test_open_reader_keeps_its_snapshot(working_warehouse: Path) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(settings.serving_db)!r}, read_only=True)
            before = con.execute("SELECT generation FROM ops.gen_marker").fetchone()[0]
            print(before, flush=True)
            sys.stdin.readline()  # the parent publishes a new generation meanwhile
            after = con.execute("SELECT generation, (SELECT count(*) FROM marts.fct_gen) FROM ops.gen_marker").fetchone()
            print(after[0], after[1], flush=True)
            con.close()
            fresh = duckdb.connect({str(settings.serving_db)!r}, read_only=True)
            print(fresh.execute("SELECT generation FROM ops.gen_marker").fetchone()[0], flush=True)
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "1"
    build_working_warehouse(settings.warehouse_db, generation=2, rows=10)
    pub.publish_serving(settings)
    out, _ = reader.communicate("go\n", timeout=60)
    assert out.split() == ["1", "1000", "2"]  # old snapshot intact, a new connection sees the new one


def test_missing_or_empty_source_raises_and_leaves_serving(data_dir: Path) -> None:
    settings = get_settings()
    with pytest.raises(pub.PublishError, match="does not exist"):
        pub.publish_serving(settings)
    with duckdb.connect(str(settings.warehouse_db)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT 1 AS x")
    with pytest.raises(pub.PublishError, match="no tables in schemas marts, ops"):
        pub.publish_serving(settings)
    assert not settings.serving_db.exists() and leftovers(settings.serving_dir) == []


def test_failure_mid_publish_leaves_serving_byte_identical(
    working_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    before = sha256(settings.serving_db)
    parquet_before = settings.serving_parquet_dir.resolve()
    build_working_warehouse(settings.warehouse_db, generation=2)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pub, "_write_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        pub.publish_serving(settings)
    assert sha256(settings.serving_db) == before
    assert settings.serving_parquet_dir.resolve() == parquet_before
    assert leftovers(settings.serving_dir) == []


@pytest.mark.integration
def test_locked_working_warehouse_is_a_clear_error(working_warehouse: Path) -> None:
    settings = get_settings()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                f"import duckdb, sys; c = duckdb.connect({str(working_warehouse)!r}); "
                "print('locked', flush=True); sys.stdin.readline()"
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(pub.PublishError, match="duckdb_warehouse"):
            pub.publish_serving(settings)
    finally:
        holder.communicate("\n", timeout=30)
    assert not settings.serving_db.exists()


# ------------------------------------------------------------------------------ concurrency / kill

READER = textwrap.dedent("""
    import json, os, sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    reads, errors, mixes, seen = 0, [], [], set()
    while not os.path.exists(stop):
        try:
            with duckdb.connect(path, read_only=True) as con:
                distinct, gen, total, n, marker, lo, hi = con.execute(
                    "SELECT (SELECT count(DISTINCT generation) FROM marts.fct_gen),"
                    " (SELECT min(generation) FROM marts.fct_gen), (SELECT sum(i) FROM marts.fct_gen),"
                    " (SELECT count(*) FROM marts.fct_gen), (SELECT generation FROM ops.gen_marker),"
                    " (SELECT min(generation) FROM marts.fct_sales_daily),"
                    " (SELECT max(generation) FROM marts.fct_sales_daily)").fetchone()
            reads += 1
            seen.add(gen)
            expected_n = 20000 + gen * 1000
            if not (distinct == 1 and marker == gen == lo == hi and n == expected_n
                    and total == expected_n * (expected_n - 1) // 2):
                mixes.append([distinct, gen, total, n, marker, lo, hi])
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc)[:200])
    print(json.dumps({"reads": reads, "errors": errors, "mixes": mixes, "seen": sorted(seen)}))
""")


@pytest.mark.integration
def test_reader_in_a_loop_sees_only_whole_snapshots(data_dir: Path, tmp_path: Path) -> None:
    settings = get_settings()
    build_working_warehouse(settings.warehouse_db, generation=1, rows=21000)
    pub.publish_serving(settings)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.serving_db), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        for generation in range(2, 10):
            build_working_warehouse(
                settings.warehouse_db, generation=generation, rows=20000 + generation * 1000
            )
            pub.publish_serving(settings)
            time.sleep(0.05)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=120)
    report = json.loads(out)
    assert report["errors"] == []
    assert report["mixes"] == []
    assert report["reads"] >= 10
    assert len(report["seen"]) >= 2, report


KILLABLE = textwrap.dedent("""
    import sys, time
    from jd_pipeline.serving import duckdb_publish as pub
    stage, marker = sys.argv[1], sys.argv[2]
    real = getattr(pub, stage)
    def hooked(*args, **kwargs):
        if stage != "_swap_in":
            real(*args, **kwargs)  # do the work of the stage, then hang right after it
        open(marker, "w").close()
        time.sleep(600)
    setattr(pub, stage, hooked)
    pub.publish_serving()
""")


@pytest.mark.integration
@pytest.mark.parametrize("stage", ["_build_new_file", "_write_parquet", "_stamp_publish_info", "_swap_in"])
def test_sigkill_during_publish_leaves_serving_unchanged(data_dir: Path, tmp_path: Path, stage: str) -> None:
    settings = get_settings()
    build_working_warehouse(settings.warehouse_db, generation=1)
    pub.publish_serving(settings)
    before = sha256(settings.serving_db)
    previous_before = sha256(pub.previous_path(settings)) if pub.previous_path(settings).exists() else None
    parquet_before = settings.serving_parquet_dir.resolve()
    build_working_warehouse(settings.warehouse_db, generation=2)
    marker = tmp_path / f"reached-{stage}"
    child = subprocess.Popen([sys.executable, "-c", KILLABLE, stage, str(marker)], env=os.environ.copy())
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, f"publish child exited early ({child.returncode})"
        assert time.monotonic() < deadline, "publish child never reached the stage"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    assert sha256(settings.serving_db) == before
    assert settings.serving_parquet_dir.resolve() == parquet_before
    if previous_before is not None:
        assert sha256(pub.previous_path(settings)) == previous_before
    assert leftovers(settings.serving_dir), "the killed publish left its temp files (cleaned next time)"

    result = pub.publish_serving(settings)  # the next publish succeeds and cleans up
    assert sha256(settings.serving_db) != before
    assert served_tables(settings.serving_db)["ops.gen_marker"] == 1
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        assert con.execute("SELECT generation FROM ops.gen_marker").fetchone()[0] == 2
    assert leftovers(settings.serving_dir) == []
    assert result.generation in str(settings.serving_parquet_dir.resolve())


LOOPING = textwrap.dedent("""
    from jd_pipeline.serving import duckdb_publish as pub
    while True:
        pub.publish_serving()
""")


@pytest.mark.integration
def test_sigkill_at_random_moments_never_breaks_serving(data_dir: Path) -> None:
    """Killed anywhere (including just after the swap), the served file is always a whole publish."""
    settings = get_settings()
    build_working_warehouse(settings.warehouse_db, generation=3, rows=200_000)
    pub.publish_serving(settings)
    rng = random.Random(8)
    for _ in range(6):
        child = subprocess.Popen([sys.executable, "-c", LOOPING], env=os.environ.copy())
        time.sleep(rng.uniform(0.3, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        with duckdb.connect(str(settings.serving_db), read_only=True) as con:
            gen, n = con.execute(
                "SELECT (SELECT generation FROM ops.gen_marker), (SELECT count(*) FROM marts.fct_gen)"
            ).fetchone()
        assert (gen, n) == (3, 200_000)
    pub.publish_serving(settings)
    assert leftovers(settings.serving_dir) == []


def test_publish_refuses_to_drop_a_served_table(
    working_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    pub.publish_serving(settings)
    before = sha256(settings.serving_db)
    with duckdb.connect(str(working_warehouse)) as con:
        con.execute("DROP TABLE marts.fct_sales_daily")  # e.g. a dbt model skipped after a failure
    with pytest.raises(pub.PublishError, match=r"marts\.fct_sales_daily"):
        pub.publish_serving(settings)
    assert sha256(settings.serving_db) == before and leftovers(settings.serving_dir) == []
    monkeypatch.setenv("JD_PUBLISH_ALLOW_DROP", "1")
    result = pub.publish_serving(settings)
    assert "marts.fct_sales_daily" not in {t.qualified_name for t in result.tables}
