"""Same parameters and seed: byte-identical files with identical mtimes."""

from __future__ import annotations

import hashlib
from datetime import date

from jd_pipeline.generate import generate

PARAMS = {
    "brands": 1,
    "start": date(2026, 3, 1),
    "end": date(2026, 3, 12),
    "scale": 0.01,
    "ads_pulls": 2,
    "faults": 0.2,
}


def checksums(out) -> dict[str, tuple[str, int]]:
    res = {}
    for p in sorted(out.rglob("*")):
        if p.is_file() and not p.is_symlink():
            res[p.relative_to(out).as_posix()] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                int(p.stat().st_mtime),
            )
    return res


def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a" / "landing", seed=3, workers=1, **PARAMS)
    b = generate(tmp_path / "b" / "landing", seed=3, workers=2, **PARAMS)
    assert checksums(a.out) == checksums(b.out)
    assert a.manifest.read_bytes() == b.manifest.read_bytes()
    c = generate(tmp_path / "c" / "landing", seed=4, workers=1, **PARAMS)
    assert checksums(c.out) != checksums(a.out)


def test_rerun_cleans_previous_output(tmp_path):
    out = tmp_path / "landing"
    generate(out, seed=3, workers=1, **PARAMS)
    (out / "stale.txt").write_text("x")
    generate(out, seed=3, workers=1, **PARAMS)
    assert not (out / "stale.txt").exists()


def test_never_wipes_a_directory_it_did_not_write(tmp_path):
    import pytest

    out = tmp_path / "landing"
    (out / "jd_pop_orders").mkdir(parents=True)
    (out / "jd_pop_orders" / "real.csv").write_text("x")
    with pytest.raises(FileExistsError):
        generate(out, seed=3, workers=1, **PARAMS)
    assert (out / "jd_pop_orders" / "real.csv").exists()
