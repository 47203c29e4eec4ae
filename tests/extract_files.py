"""Raw extract files for tests: the one writer of hand-made CSV and xlsx deliveries.

`write_extract` writes a delivery the way its source's contract (jd_pipeline/contracts/*.yaml)
describes it: the source is the first folder of the landing path, the file kind (csv, xlsx) comes
from the suffix and must be one the contract accepts, CSV text is in the contract's first encoding
with the export's CRLF lines, and the header row is the contract's unless a test gives its own
(aliases, stray spaces, renamed columns). `write_csv`, `write_xlsx` and `write_bytes` are the plain
writers underneath, for files a contract would not describe (wrong encodings, broken bytes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jd_pipeline.contracts import get_contract


def contract_headers(source: str) -> list[str]:
    """The header row of a source's export: its contract's columns, in contract order."""
    return [column.header for column in get_contract(source).columns]


def csv_text(headers: Sequence[Any], rows: Sequence[Sequence[Any]], newline: str = "\r\n") -> str:
    """Header and rows as CSV text (None as an empty field)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def write_bytes(landing: Path, relpath: str, data: bytes) -> Path:
    path = landing / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_csv(
    landing: Path,
    relpath: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoding: str = "gb18030",
    bom: bool = False,
    newline: str = "\r\n",
    tail: str = "",
) -> Path:
    data = (csv_text(headers, rows, newline) + tail).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return write_bytes(landing, relpath, data)


def write_xlsx(
    landing: Path,
    relpath: str,
    headers: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    preamble: Sequence[Sequence[Any]] = (),
) -> Path:
    import openpyxl

    path = landing / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (*preamble, headers, *rows):
        ws.append(list(r))
    wb.save(path)
    return path


def write_extract(
    landing: Path,
    relpath: str,
    rows: Sequence[Sequence[Any]],
    header_row: Sequence[str] | None = None,
    *,
    bom: bool = False,
) -> Path:
    """`landing/relpath` as its source's contract describes the delivery (see the module doc)."""
    contract = get_contract(relpath.split("/", 1)[0])
    kind = Path(relpath).suffix.lstrip(".").lower()
    assert kind in contract.file_kinds, f"{contract.source} is delivered as {contract.file_kinds}, not {kind}"
    head = list(header_row) if header_row is not None else contract_headers(contract.source)
    if kind == "csv":
        return write_csv(landing, relpath, head, rows, encoding=contract.encodings[0], bom=bom)
    assert kind == "xlsx" and not bom, f"{relpath}: write_extract writes csv and xlsx"
    return write_xlsx(landing, relpath, head, rows)
