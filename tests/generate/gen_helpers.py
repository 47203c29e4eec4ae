"""Reading generated files back the way a loader would (independent of the generator's code)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import python_calamine

from jd_pipeline.contracts import load_contracts
from tests.extract_files import contract_headers

# The generator writes a BOM on its UTF-8 CSVs, which a contract does not say.
CSV_ENCODING = {
    "jd_pop_orders": "gb18030",
    "fin_opex_actuals": "gb18030",
    "jd_ads": "utf-8-sig",
    "jd_vc_purchase_orders": "utf-8-sig",
}

# The header row each export must carry: its contract's, which the loader matches against.
HEADERS: dict[str, list[str]] = {source: contract_headers(source) for source in load_contracts()}


def files(out: Path, source: str, pattern: str = "*") -> list[Path]:
    """The generated files of a source; never empty, so a loop over them cannot pass vacuously."""
    found = sorted(p for p in (out / source).rglob(pattern) if p.is_file() and not p.is_symlink())
    assert found, f"no generated files for {source} ({pattern}) under {out}"
    return found


def read_rows(path: Path, source: str) -> list[dict[str, str]]:
    """Rows as dicts of text (xlsx numbers rendered back to text)."""
    if path.suffix == ".csv":
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else CSV_ENCODING[source])
        return list(csv.DictReader(io.StringIO(text)))
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    head = [str(h) for h in sheet[0]]
    out = []
    for r in sheet[1:]:
        out.append({h: _txt(v) for h, v in zip(head, r)})
    return out


def _txt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def num(v: str) -> float:
    return float(v.replace(",", "").replace("¥", "").replace("￥", "").replace("%", "") or 0)
