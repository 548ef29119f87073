"""Measure each worksheet of an xlsx from its XML stream, before any parser builds it in memory.

Why: calamine (our xlsx reader) allocates the sheet's whole used area as one dense grid. A 1 KB hostile file
with cells at A1 and XFD100000 asks for 1.6 billion cells, and the Rust allocator then aborts the whole
process (the Streamlit server with it) instead of raising. A 1,048,576-row sheet of real data parses, but
its Python objects need gigabytes. So the importer measures first, in constant memory: the used area (last
row × last column, as the parser will compute it) and the number of cells, and refuses what is too big.

The fast path counts tags with ``bytes.count`` and reads only cell references of two or three letters; files
whose rows or cells carry no ``r`` attribute (allowed by the standard, written by a few generators) are
walked tag by tag instead, reproducing the parser's positions.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

CHUNK_BYTES = 1 << 20

_ROW_REF = re.compile(rb'<row r="(\d+)"')
_WIDE_COL = re.compile(rb'<c r="([A-Z]{2,3})\d')
_NO_REF = re.compile(rb'<(?:c|row)[ >/](?!r=")')
_TAG = re.compile(rb"<(row|c)\b([^>]*)>")
_R_ATTR = re.compile(rb'\br="([A-Z]*)(\d*)"')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\b(?:\w+:)?id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|'
                  rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


@dataclass(frozen=True)
class Extent:
    """The used area of one worksheet as the parser will allocate it, and how many cells it holds."""

    rows: int
    columns: int
    cells: int

    @property
    def area(self) -> int:
        return self.rows * self.columns


def column_number(letters: bytes | str) -> int:
    """'A' → 1, 'Z' → 26, 'AA' → 27, 'XFD' → 16384."""
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def column_letters(number: int) -> str:
    """1 → 'A', 16384 → 'XFD' (for messages)."""
    out = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        out = chr(65 + rem) + out
    return out


def _parts(stream: IO[bytes]) -> Iterator[bytes]:
    """Yield the stream in chunks that end on a tag boundary (a tag is never split between two chunks)."""
    carry = b""
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            if carry:
                yield carry
            return
        buf = carry + chunk
        cut = buf.rfind(b">") + 1
        if cut == 0:
            carry = buf
            continue
        yield buf[:cut]
        carry = buf[cut:]


def _fast(stream: IO[bytes]) -> Extent | None:
    """Counts and references only; None when some row or cell has no leading ``r`` attribute."""
    rows = columns = cells = 0
    for part in _parts(stream):
        if _NO_REF.search(part):
            return None
        n_cells = part.count(b'<c r="')
        cells += n_cells
        refs = _ROW_REF.findall(part)
        if refs:
            rows = max(rows, max(map(int, refs)))
        if n_cells:
            columns = max(columns, 1)
            wide = set(_WIDE_COL.findall(part))
            if wide:
                columns = max(columns, max(map(column_number, wide)))
            else:
                columns = _max_single_letter(part, columns)
    return Extent(rows, columns, cells)


def _max_single_letter(part: bytes, best: int) -> int:
    """The last one-letter column in ``part`` if beyond ``best``: one regex pass per improvement, not per cell."""
    while best < 26:
        m = re.search(rb'<c r="([' + bytes([65 + best]) + rb'-Z])\d', part)
        if not m:
            break
        best = column_number(m.group(1))
    return best


def _walk(stream: IO[bytes]) -> Extent:
    """Tag by tag, as the parser positions cells: a row or cell with no reference follows the previous one."""
    rows = columns = cells = row = col = 0
    for part in _parts(stream):
        for m in _TAG.finditer(part):
            ref = _R_ATTR.search(m.group(2))
            if m.group(1) == b"row":
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                col = 0
                rows = max(rows, row)
                continue
            cells += 1
            if ref and ref.group(1):
                col = column_number(ref.group(1))
                if ref.group(2):
                    rows = max(rows, int(ref.group(2)))
            else:
                col += 1
            columns = max(columns, col)
    return Extent(rows, columns, cells)


def measure(zf: zipfile.ZipFile, member: str) -> Extent:
    with zf.open(member) as fh:
        found = _fast(fh)
    if found is not None:
        return found
    with zf.open(member) as fh:
        return _walk(fh)


def sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → the sheet's name as the user sees it on its tab (best effort; the part name otherwise)."""
    names: dict[str, str] = {}
    try:
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return names
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        path = target.decode(errors="replace").lstrip("/")
        targets[rid] = path if path.startswith("xl/") else "xl/" + path
    for m in _SHEET.finditer(workbook):
        part = targets.get(m.group(2))
        if part:
            names[part] = m.group(1).decode(errors="replace")
    return names


def worksheets(zf: zipfile.ZipFile) -> dict[str, Extent]:
    """Every worksheet's extent, keyed by the sheet's name (or its part name when the workbook does not say)."""
    names = sheet_names(zf)
    return {names.get(info.filename, info.filename): measure(zf, info.filename)
            for info in zf.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")}
