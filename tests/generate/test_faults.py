"""Every kind of bad input is planted, listed in the manifest, and really in the file."""

from __future__ import annotations

import json
from collections import Counter

from jd_pipeline.generate.faults import KINDS
from tests.generate.gen_helpers import CSV_ENCODING, read_rows


def manifest(summary) -> dict:
    return json.loads(summary.manifest.read_text(encoding="utf-8"))


def test_manifest_beside_landing_not_inside(faulty, clean):
    assert faulty.manifest == faulty.out.parent / "generated_faults.json"
    assert not any(p.suffix == ".json" for p in faulty.out.rglob("*"))
    m = manifest(clean)
    assert m["faults"] == [] and m["params"]["faults"] == 0.0
    assert m["reference"]["commission_rate_card"] and m["brands"]["brand_a"]


def test_every_kind_planted_and_listed(faulty):
    kinds = Counter(r["kind"] for r in manifest(faulty)["faults"])
    assert set(KINDS) <= set(kinds), set(KINDS) - set(kinds)
    assert faulty.faults == sum(kinds.values())


def test_planted_faults_are_in_the_files(faulty):
    out = faulty.out
    by_kind: dict[str, list[dict]] = {}
    for r in manifest(faulty)["faults"]:
        by_kind.setdefault(r["kind"], []).append(r)
        assert (out / r["file"]).exists() or (out / r["file"]).is_symlink(), r
    for r in by_kind["empty_file"]:
        assert (out / r["file"]).stat().st_size == 0
    for r in by_kind["path_outside_zone"]:
        p = out / r["file"]
        assert p.is_symlink() and out not in p.resolve().parents
    for r in by_kind["xlsx_really_csv"]:
        assert (out / r["file"]).suffix == ".xlsx" and not (out / r["file"]).read_bytes().startswith(b"PK")
    for r in by_kind["truncated_last_line"]:
        assert not (out / r["file"]).read_bytes().endswith(b"\n")
    for r in by_kind["same_file_twice"]:
        assert (out / r["file"]).read_bytes() == (out / r["detail"]).read_bytes()
    for r in by_kind["wrong_encoding"]:
        raw = (out / r["file"]).read_bytes()
        written = raw.decode(r["detail"])  # the encoding the manifest says the file was written in
        assert "," in written.splitlines()[0], r
        try:
            as_contract = raw.decode(CSV_ENCODING[r["source"]])
        except UnicodeDecodeError:
            as_contract = None  # not even decodable in the contract's encoding
        assert as_contract != written, r
    readable = [
        r
        for r in manifest(faulty)["faults"]
        if r["kind"] in ("excel_mangled_id", "unknown_product_line", "non_cny_currency", "negative_quantity")
    ]
    broken = {
        r["file"]
        for r in manifest(faulty)["faults"]
        if r["kind"]
        in (
            "wrong_encoding",
            "empty_file",
            "header_only",
            "xlsx_really_csv",
            "truncated_last_line",
            "missing_required_header",
        )
    }
    checked = 0
    for r in readable:
        if r["file"] in broken:
            continue
        rows = read_rows(out / r["file"], r["source"])
        row = rows[r["row"] - 1]
        values = " ".join(row.values())
        expect = {
            "excel_mangled_id": "E+",
            "unknown_product_line": "京东直通车Plus",
            "non_cny_currency": "USD",
            "negative_quantity": "-",
        }[r["kind"]]
        assert expect in values, (r, row)
        checked += 1
    assert checked >= 4


def test_redelivery_is_older_than_its_replacement(faulty):
    redeliveries = [r for r in manifest(faulty)["faults"] if r["kind"] == "corrected_redelivery"]
    assert redeliveries
    for r in redeliveries:
        early = faulty.out / r["file"]
        later = [p for p in early.parent.iterdir() if p != early and "副本" not in p.name]
        assert later and all(p.stat().st_mtime > early.stat().st_mtime for p in later)


def test_fault_kinds_filter(tmp_path):
    from datetime import date

    from jd_pipeline.generate import TOLERATED_KINDS, generate

    s = generate(
        tmp_path / "landing",
        brands=1,
        start=date(2026, 3, 1),
        end=date(2026, 3, 20),
        scale=0.01,
        seed=1,
        faults=0.3,
        ads_pulls=2,
        workers=1,
        fault_kinds=TOLERATED_KINDS,
    )
    kinds = {r["kind"] for r in manifest(s)["faults"]}
    assert kinds and kinds <= TOLERATED_KINDS
    assert manifest(s)["params"]["fault_kinds"] == sorted(TOLERATED_KINDS)
