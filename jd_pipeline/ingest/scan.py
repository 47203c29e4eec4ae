"""One pass over a landing file's bytes: its sha256, and for CSV its physical line count and
whether it holds control bytes. The loader reads every file it stages once for the sha256
anyway; counting lines and control bytes in the same pass costs little (C-level bytes ops)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4 << 20
# Control bytes that never belong in a text field: C0 except TAB, LF, CR; and DEL. None of them
# occurs inside a UTF-8 or GB18030 multi-byte character, so a byte test is exact.
CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NOT_CONTROL = bytes(b for b in range(256) if b not in CONTROL_BYTES)
# A field longer than FIELD_MAX needs a line longer than FIELD_MAX, which covers a whole aligned
# slice of FIELD_MAX / 2 bytes without a line break: an exact gate for the per-field check in SQL.
FIELD_MAX = 1 << 20
_SLICE = FIELD_MAX // 2


@dataclass(frozen=True)
class ByteScan:
    sha256: str
    lines: int  # physical lines: ended by CRLF, LF or CR; an unterminated last line counts
    control: bool  # some control byte (NUL included) somewhere in the file
    long_lines: bool = False  # some line may hold a field over FIELD_MAX bytes


def scan_file(path: Path, text: bool) -> ByteScan:
    """sha256 always; lines and control bytes only for text files (`text`)."""
    h = hashlib.sha256()
    lines, control, long_lines, last, size = 0, False, False, b"", 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            if not text:
                continue
            lines += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            if last == b"\r" and chunk[:1] == b"\n":
                lines -= 1  # a CRLF split across two chunks
            control = control or bool(chunk.translate(None, _NOT_CONTROL))
            long_lines = long_lines or _has_long_line(chunk)
            last = chunk[-1:]
    if text and size and last not in (b"\n", b"\r"):
        lines += 1
    return ByteScan(h.hexdigest(), lines, control, long_lines)


def _has_long_line(chunk: bytes) -> bool:
    return any(
        chunk.find(b"\n", i, i + _SLICE) < 0 and chunk.find(b"\r", i, i + _SLICE) < 0
        for i in range(0, len(chunk) - _SLICE + 1, _SLICE)
    )
