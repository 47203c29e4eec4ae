"""A CSV file's encoding, decided from its bytes, and its UTF-8 form for DuckDB.

BOM, UTF-8 validity, else GB18030 if the contract allows it; GB18030 is transcoded to a UTF-8
temp file as a stream (DuckDB's `read_csv` reads UTF-8 only).
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jd_pipeline.contracts import Contract
from jd_pipeline.ingest.messages import FileRejected

CHUNK = 4 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def detect_encoding(path: Path, contract: Contract, where: str) -> str:
    """`utf-8` (DuckDB reads it as is, BOM or not) or `gb18030` (needs transcoding)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head:
        raise FileRejected(f"{where}: empty file (0 bytes)")
    if head.startswith((XLSX_MAGIC, XLS_MAGIC)):
        raise FileRejected(f"{where}: named .csv but is an Excel workbook")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejected(f"{where}: wrong encoding: UTF-16 (contract: {', '.join(contract.encodings)})")
    if head.startswith(codecs.BOM_UTF8):
        if "utf-8" not in contract.encodings:
            raise FileRejected(f"{where}: wrong encoding: UTF-8 (contract: {', '.join(contract.encodings)})")
        return "utf-8"
    if head.count(b"\x00") * 8 > len(
        head
    ):  # UTF-16 without BOM, or a binary file; a stray NUL is a row problem
        raise FileRejected(f"{where}: binary content, not a CSV text file")
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        is_utf8 = True
    except UnicodeDecodeError:
        is_utf8 = False
    if is_utf8 and ("utf-8" in contract.encodings or head.isascii()):
        return "utf-8" if "utf-8" in contract.encodings else contract.encodings[0]
    if "gb18030" in contract.encodings and not is_utf8:
        return "gb18030"
    found = "UTF-8" if is_utf8 else "not UTF-8 (GB18030/GBK?)"
    raise FileRejected(f"{where}: wrong encoding: {found}; contract: {', '.join(contract.encodings)}")


def transcoded(path: Path, encoding: str, where: str) -> Path:
    """A streamed UTF-8 temp copy of the file (the caller deletes it)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fd, tmp = tempfile.mkstemp(prefix="jd_ingest_", suffix=".csv")
    offset = 0
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(CHUNK):
                try:
                    dst.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise FileRejected(
                        f"{where}: wrong encoding: invalid {encoding} bytes at byte {offset + exc.start}"
                    ) from None
                offset += len(chunk)
            try:
                dst.write(decoder.decode(b"", final=True).encode("utf-8"))
            except UnicodeDecodeError:  # truncated inside a character: that last line is malformed anyway
                dst.write("\ufffd".encode("utf-8"))
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


@contextmanager
def utf8_copy(path: Path, encoding: str, where: str) -> Iterator[Path]:
    """The file as UTF-8: itself, or a streamed transcoded temp copy (deleted afterwards)."""
    if encoding == "utf-8":
        yield path
        return
    tmp = transcoded(path, encoding, where)
    try:
        yield tmp
    finally:
        os.unlink(tmp)
