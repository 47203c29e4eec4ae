"""Serving through full `jd-pipeline run`s: readers see whole snapshots, SIGKILL never touches serving.

Slow (five `jd-pipeline run`s on a small fixture, a few minutes): marked `slow`, part of `make test`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e import fixtures as fx

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]


def env_for(data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "JD_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "JD_PARTITIONS_START": "2025-03-01",
        "JD_BUYER_SALT": "test-salt-e2e-ops",
    }
    env.pop("JD_DEMO_MODE", None)
    return env


def start_run(data_dir: Path, log: Path) -> subprocess.Popen:
    """`jd-pipeline run` in its own process group (SIGKILL reaches dbt too), output to `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "jd_pipeline.cli", "run", "--date", fx.DAY],
            cwd=REPO_ROOT,
            env=env_for(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def finish(proc: subprocess.Popen, log: Path, timeout: float = 1800) -> str:
    proc.wait(timeout=timeout)
    return log.read_text(errors="replace")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


def kill_when_line(proc: subprocess.Popen, log: Path, pattern: str, delay: float) -> None:
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if re.search(pattern, log.read_text(errors="replace")):
            time.sleep(delay)
            kill_group(proc)
            return
        assert proc.poll() is None, f"the run ended before {pattern!r}:\n" + log.read_text()[-4000:]
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} never appeared")


def kill_when_publishing(proc: subprocess.Popen, log: Path, serving: Path) -> None:
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if any(serving.glob(".publish-*.duckdb")):
            kill_group(proc)
            return
        assert proc.poll() is None, "the run ended before publishing:\n" + log.read_text()[-4000:]
        time.sleep(0.01)
    raise AssertionError("publish never started")


READER = textwrap.dedent("""
    import json, os, sys, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    reads, errors, by_generation = 0, [], {}
    while not os.path.exists(stop):
        try:
            with duckdb.connect(path, read_only=True) as con:
                generation = con.execute("SELECT generation FROM ops.publish_info").fetchone()[0]
                marts = [t for (t,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1").fetchall()]
                # every mart's checksum, all read in one snapshot
                checksum = [(t, con.execute(
                    f'SELECT count(*), bit_xor(hash(columns(*))) FROM marts."{t}"').fetchone()) for t in marts]
            by_generation.setdefault(generation, set()).add(str(checksum))
            reads += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc)[:300])
    print(json.dumps({"reads": reads, "errors": errors,
                      "by_generation": {g: sorted(c) for g, c in by_generation.items()}}))
""")


def test_serving_survives_kills_and_readers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    landing = data_dir / "landing"
    fx.write_brands(landing.parent)
    fx.write_products(landing)
    fx.write_pop_orders(landing)
    served = data_dir / "serving" / "warehouse.duckdb"

    first_log = tmp_path / "run-first.log"
    out = finish(start_run(data_dir, first_log), first_log)
    assert served.exists(), out[-4000:]
    assert "== run " in out and ": OK" in out, out[-4000:]

    serving = data_dir / "serving"
    for label, killer in (
        ("ingest", lambda p, log: kill_when_line(p, log, r"\] ingest_", 1.0)),
        ("dbt", lambda p, log: kill_when_line(p, log, r"\] build_daily", 3.0)),
        ("publish", lambda p, log: kill_when_publishing(p, log, serving)),
    ):
        before = sha256(served)
        log = tmp_path / f"run-killed-{label}.log"
        killer(start_run(data_dir, log), log)
        assert sha256(served) == before, f"SIGKILL during {label} changed the served file"

    stop = tmp_path / "stop-reader"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(served), str(stop)], stdout=subprocess.PIPE, text=True
    )
    before = sha256(served)
    final_log = tmp_path / "run-final.log"
    try:
        out = finish(start_run(data_dir, final_log), final_log)
    finally:
        stop.touch()
        report = json.loads(reader.communicate(timeout=120)[0])
    assert ": OK" in out, out[-4000:]  # the next run completes ...
    assert sha256(served) != before  # ... and publishes
    assert report["errors"] == []
    assert report["reads"] > 0
    assert all(len(checksums) == 1 for checksums in report["by_generation"].values()), report
