"""Formula cells without a cached value in an .xlsx sheet (read from the sheet's XML).

A workbook written by a tool that does not calculate (or saved with calculation off) holds
formulas whose result was never stored; a reader sees an empty cell. calamine does not say
which cells those are, so the sheet XML is scanned: only when it holds a formula at all (a
byte search), then one streaming parse.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(r"([A-Z]+)(\d+)")


def _sheet_part(z: zipfile.ZipFile, sheet_name: str) -> str | None:
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rid = next((s.get(_REL) for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet_name), None)
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iter(f"{_PKG}Relationship") if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def column_index(letters: str) -> int:
    """0-based column index of Excel column letters (A -> 0, AA -> 26)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def formulas_without_value(path: Path, sheet_name: str) -> dict[int, list[str]]:
    """{1-based sheet row: [cell references]} of formula cells that hold no cached value."""
    with zipfile.ZipFile(path) as z:
        part = _sheet_part(z, sheet_name)
        if part is None or part not in z.namelist():
            return {}
        data = z.read(part)
    if b"<f" not in data and b":f" not in data:
        return {}
    out: dict[int, list[str]] = {}
    for _, elem in ET.iterparse(io.BytesIO(data), events=("end",)):
        if elem.tag != f"{_MAIN}c":
            continue
        f = elem.find(f"{_MAIN}f")
        if f is not None:
            v = elem.find(f"{_MAIN}v")
            is_ = elem.find(f"{_MAIN}is")
            if (v is None or not (v.text or "")) and is_ is None:
                ref = elem.get("r") or ""
                m = _CELL.fullmatch(ref)
                if m:
                    out.setdefault(int(m.group(2)), []).append(ref)
        elem.clear()
    return out
