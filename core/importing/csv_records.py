"""CSV text → a grid of records: encodings, line endings, delimiters, and records that cannot be read.

Why a module of its own: a CSV whose quoting is broken (a quote that never closes, a record with more cells than
the header, a line wrapped in quotes as a whole) must not be glued into one cell or refused with a parser's
message. Clean files take pandas' C parser as before; only a file it refuses, or whose multi-line cells hold
lines that look like rows of their own, is read record by record with the csv module, naming each record
(by its line in the file) that could not be read.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import ImportRefused

INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")  # zero-width and bidi controls
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass
class CsvGrid:
    """The records of a CSV as a grid, with the records that could not be read (line number, reason)."""

    grid: pd.DataFrame
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    line_numbers: np.ndarray | None = None  # the line each grid row starts on, when read record by record
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- decoding
def decode_text(data: bytes) -> tuple[str, str]:
    """BOMs, then UTF-16 without BOM (its delimiters and line breaks carry NUL bytes), strict UTF-8, then cp1252
    or cp1251, whichever reads as words of one script (latin-1 only for bytes cp1252 leaves undefined)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    sample = data[:4000]
    if b"\x00" in sample:
        for enc in ("utf-16-le", "utf-16-be"):
            probe = sample[: len(sample) // 2 * 2].decode(enc, errors="replace")
            if sum(probe.count(ch) for ch in "\n,;\t") >= max(1, len(probe) // 200):
                return data[: len(data) // 2 * 2].decode(enc, errors="replace"), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = data[:200_000]
    western, cyrillic = head.decode("cp1252", errors="replace"), head.decode("cp1251", errors="replace")
    if _implausible(cyrillic) < _implausible(western):
        return data.decode("cp1251", errors="replace"), "cp1251"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _implausible(text: str) -> int:
    """Words no language writes: Cyrillic mixed with Latin in one word, or a word of accented Latin letters only
    (what Russian looks like read as cp1252: 'Íîìåð')."""
    bad = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if _CYRILLIC.search(word):
            bad += bool(re.search("[A-Za-z]", word))
        elif not re.search("[A-Za-z]", word):
            bad += 1
    return bad


def normalise_newlines(text: str) -> tuple[str, str | None, int]:
    """Bare CR ("CSV (Macintosh)") and mixed endings become LF, with a note; CRLF alone is left as it is (both
    parsers read it; rewriting 16 MB costs more than all the header checks). Also returns the number of LFs."""
    lf = text.count("\n")
    if "\r" not in text:
        return text, None, lf
    cr = text.count("\r")
    if cr == lf or cr == text.count("\r\n"):  # CRLF throughout (equal counts: no bare CR worth a rewrite)
        return text, None, lf
    kind = "mixed line endings" if lf else "carriage-return line endings (CSV for Macintosh)"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, f"The file has {kind}; each was read as a line break.", text.count("\n")


def strip_invisible(text: str) -> tuple[str, int]:
    """Zero-width and bidi-override characters removed (look-alike keys must not become distinct)."""
    if text.isascii() or not INVISIBLE.search(text):
        return text, 0
    cleaned, n = INVISIBLE.subn("", text)
    return cleaned, n


def detect_delimiter(text: str) -> str:
    """`,` `;` tab or `|`: the one that splits the first lines into the most consistent columns."""
    lines = [ln for ln in text[:65536].split("\n")[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if max(counts) == 0:
            continue
        modal = max(set(counts), key=counts.count)
        score = counts.count(modal) * modal
        if score > best_score:
            best, best_score = delim, score
    return best


def count_records(text: str) -> int:
    """Records, not lines: a line break inside quotes continues its record (quote parity, vectorised)."""
    if '"' not in text:
        return text.count("\n") + (0 if text.endswith("\n") else 1)
    raw = np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8)
    quotes = np.flatnonzero(raw == 34)
    breaks = np.flatnonzero(raw == 10)
    ends = int((np.searchsorted(quotes, breaks) % 2 == 0).sum())
    return ends + (0 if text.endswith("\n") else 1)


# --------------------------------------------------------------------------- records
def read_csv_grid(text: str, delimiter: str, file_name: str, lines: int) -> CsvGrid:
    """All cells as strings; a file pandas cannot parse, or whose cells swallowed rows, goes record by record."""
    try:  # cells as Python str objects from the start (dtype=object): 3× faster than str dtype, then objects
        grid = pd.read_csv(_source(text), sep=delimiter, header=None, dtype=object, keep_default_na=False,
                           na_filter=False, engine="c", skip_blank_lines=False, quotechar='"')
    except pd.errors.EmptyDataError:
        raise ImportRefused("the file has no rows.", file=file_name) from None
    except (pd.errors.ParserError, ValueError):
        return _record_by_record(text, delimiter)
    if len(grid) < lines and _swallowed_rows(grid, delimiter):
        return _record_by_record(text, delimiter)
    return CsvGrid(grid)


def _source(text: str) -> io.BytesIO | io.StringIO:
    """The text as UTF-8 bytes for the C parser (a StringIO of 40 MB holds it again four bytes a character)."""
    try:
        return io.BytesIO(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: the text as it is
        return io.StringIO(text)


def _shape(value: str) -> str:
    """'INC0012345' → 'A9', 'ABC-12' → 'A-9': keys of one file share a shape."""
    return re.sub(r"[^\W\d_]+", "A", re.sub(r"\d+", "9", value.strip()))


def _looks_like_row(line: str, delimiter: str, width: int, key_shape: str) -> bool:
    """A line inside a quoted cell that would be a full row of its own, with a key shaped like the row's."""
    if width < 3 or not key_shape:
        return False
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return len(cells) == width and _shape(cells[0]) == key_shape


def _swallowed_rows(grid: pd.DataFrame, delimiter: str) -> bool:
    """True when some multi-line cell holds lines that look like rows: an unclosed quote glued them in."""
    width = grid.shape[1]
    if width < 3:
        return False
    first = grid.iloc[:, 0]
    for col in grid.columns:
        cells = grid[col]
        hits = cells.str.contains("\n", regex=False)
        for row in np.flatnonzero(hits.to_numpy(dtype=bool, na_value=False)):
            shape = _shape(str(first.iloc[row]))
            if any(_looks_like_row(ln, delimiter, width, shape) for ln in str(cells.iloc[row]).split("\n")[1:]):
                return True
    return False


class _Lines:
    """An iterator over physical lines that can be moved back, so reading can restart after a broken record."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.i = lines, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.i >= len(self.lines):
            raise StopIteration
        self.i += 1
        return self.lines[self.i - 1]


def _expected_width(lines: list[str], delimiter: str) -> tuple[int, int]:
    """(header record index, its width): the first record at least as wide as most of the first 200."""
    counts = [len(r) for _, r in zip(range(200), csv.reader(iter(lines), delimiter=delimiter))]
    wide = [n for n in counts if n >= 2] or counts or [1]
    modal = Counter(wide).most_common(1)[0][0]
    index = next(i for i, n in enumerate(counts + [modal]) if n >= modal)
    return index, max(modal, counts[index] if index < len(counts) else modal)


def _record_by_record(text: str, delimiter: str) -> CsvGrid:
    """Read with the csv module, one record at a time; a broken record is named and reading restarts on the
    line after the one where it began (so rows an unclosed quote swallowed are read on their own)."""
    lines = [ln + "\n" for ln in text.split("\n")]  # a CRLF file keeps its CR before each LF: csv reads both
    if text.endswith("\n"):
        lines.pop()
    header_index, width = _expected_width(lines, delimiter)
    src = _Lines(lines)
    reader = csv.reader(src, delimiter=delimiter)
    rows: list[list[str]] = []
    starts: list[int] = []
    unreadable: list[tuple[int, str]] = []
    rescued = 0
    record = 0
    while True:
        start = src.i
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field larger than the csv module's limit
            unreadable.append((start + 1, f"the csv reader stopped here ({exc})"))
            src.i, reader = start + 1, csv.reader(src, delimiter=delimiter)
            continue
        end, record = src.i, record + 1
        if record - 1 <= header_index:
            rows.append(cells), starts.append(start + 1)
            continue
        while len(cells) > width and cells[-1] == "":
            cells.pop()
        reason, restart = _verdict(cells, lines[start:end], delimiter, width, start + 1)
        if reason == "rescued":
            cells, reason = next(csv.reader([cells[0]], delimiter=delimiter)), None
            cells, rescued = cells[:width] + [""] * (width - len(cells)), rescued + 1
        if reason:
            unreadable.append((start + 1, reason))
            if restart:
                src.i, reader = start + 1, csv.reader(src, delimiter=delimiter)
            continue
        rows.append(cells + [""] * (width - len(cells)))
        starts.append(start + 1)
    wide = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (wide - len(r)) for r in rows], dtype=object)
    notes = [f"{rescued} line(s) were wrapped in quotes as a whole and were read as their cells."] if rescued else []
    numbers = np.asarray(starts, dtype=np.int64)
    if unreadable or len(numbers) and numbers[-1] != len(numbers):
        notes.append("Rows are numbered by the line of the file they start on.")
    return CsvGrid(grid, unreadable, numbers, notes)


def _verdict(cells: list[str], raw: list[str], delimiter: str, width: int,
             first_line: int) -> tuple[str | None, bool]:
    """Why a record cannot be read (None if it can; 'rescued' for a line quoted as a whole), and whether to
    restart on the next line (the record ran over lines that may be rows of their own)."""
    n, multi = len(cells), len(raw) > 1
    runs_to = f"; its quoted cell runs on to line {first_line + len(raw) - 1}" if multi else ""
    if multi and sum(line.count('"') for line in raw) % 2:
        return "a quote opens on this line and is never closed properly" + runs_to, True
    if n > width:
        return f"{n} cells where the header has {width} (a quote is probably misplaced){runs_to}", multi
    if n == 1 and width > 1 and cells[0].count(delimiter) >= width - 1:
        inner = next(csv.reader([cells[0]], delimiter=delimiter), [])
        while len(inner) > width and inner[-1] == "":
            inner.pop()
        if len(inner) == width:
            return "rescued", False
        return f"the whole line is quoted as one cell and splits into {len(inner)} cells, not {width}", False
    if 2 <= n < width and cells[-1] == "":
        return (f"{n} cells where the header has {width}, and it ends in an empty cell: a cell is missing in the "
                "middle, so its values would land in the wrong columns"), False
    if multi and n == width:
        shape = _shape(cells[0])
        if any(_looks_like_row(line.rstrip("\n"), delimiter, width, shape) for line in raw[1:]):
            return "a quote opened on this line closes only lines later, taking in lines that look like rows of " \
                   "their own", True
    return None, False
