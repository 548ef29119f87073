"""Bytes → sheets: sniff the format from the bytes, refuse unsafe input, find the header row.

Nothing here knows about fields or the database; the output is a list of
:class:`Table` objects whose cells are still raw (strings from CSV, Python values
from xlsx) plus the row numbers the user sees in Excel. What could not be read (CSV records with broken
quoting) and what was left out (totals, footers, hidden sheets, notes and lookup sheets) is kept on the
result and said in its notes, never dropped in silence.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.config import ImportLimits
from core.errors import ImportRefused
from core.importing import csv_records, formats, sheet_rows, workbook
from core.importing.csv_records import decode_text, detect_delimiter  # noqa: F401  (kept importable from here)

HEADER_SCAN_ROWS = 30


@dataclass
class Table:
    """One sheet (or the single table of a CSV) with its header found."""

    sheet: str | None
    headers: list[str]
    data: pd.DataFrame  # columns = headers (unique), object dtype, raw cell values
    row_numbers: np.ndarray  # the row number the user sees in Excel (a CSV read record by record: its line), per row
    header_row: int  # 1-based row of the header
    raw_preview: pd.DataFrame = field(default_factory=pd.DataFrame)  # first rows above/around the header
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason): CSV records not read
    not_a_table: str | None = None  # why the sheet holds no table of records (notes, a list, a lookup), else None
    hidden: str | None = None  # 'hidden' / 'very hidden' when the workbook hides the sheet
    dropped: dict[int, str] = field(default_factory=dict)  # row number → why it is not data (totals, footer, ...)
    notes: list[str] = field(default_factory=list)  # what was recognised on this sheet, for the preview


@dataclass
class ReadResult:
    file_name: str
    sha256: str
    file_format: str  # xlsx | xlsm | csv | html | spreadsheetml | json
    tables: list[Table]
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    set_aside: list[Table] = field(default_factory=list)  # read but not offered: hidden, notes, lookup sheets


# --------------------------------------------------------------------------- sniffing
_NOT_SPREADSHEETS = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
                     b"GIF8": "a GIF image", b"\x1f\x8b": "a gzip archive", b"Rar!": "a RAR archive",
                     b"7z\xbc\xaf": "a 7-Zip archive", b"{\\rtf": "an RTF document"}


def sniff_format(data: bytes, file_name: str) -> str:
    """'zip', 'html', 'spreadsheetml', 'json' or 'csv' from the bytes, or refuse saying what the file is."""
    if not data or not data.strip():
        raise ImportRefused("the file is empty.", file=file_name)
    head = data[:8]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data[:65536 * 8] \
                or b"EncryptedPackage" in data:
            raise ImportRefused("the workbook is password-protected. Remove the password in Excel "
                                "(File → Info → Protect Workbook) and upload it again.", file=file_name)
        raise ImportRefused("this is a legacy Excel .xls file. Open it in Excel and save it as .xlsx "
                            "(File → Save As → Excel Workbook), then upload the .xlsx.", file=file_name)
    for magic, what in _NOT_SPREADSHEETS.items():
        if data.startswith(magic):
            raise ImportRefused(f"this is {what}, not a spreadsheet. Upload an .xlsx or .csv file.",
                                file=file_name)
    kind = formats.sniff_text_format(data)
    if kind == "xml":
        raise ImportRefused("this is an XML file, not a table Excel or a tracker wrote (not SpreadsheetML). Export "
                            "the data as CSV or .xlsx and upload that.", file=file_name)
    return kind or "csv"


# --------------------------------------------------------------------------- header row
def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


def detect_header_row(grid: pd.DataFrame) -> int:
    """0-based index of the header: the first row whose text cells span most of the table's width.

    Title rows and merged cells above the table fill one or two cells; the header
    fills (nearly) every column with text; data rows below hold numbers and dates.
    """
    probe = grid.head(HEADER_SCAN_ROWS)
    filled = [[not _is_blank(v) for v in row] for row in probe.itertuples(index=False)]
    texts = [[isinstance(v, str) and not _is_blank(v) for v in row] for row in probe.itertuples(index=False)]
    width = max((sum(r) for r in filled), default=0)
    if width == 0:
        return 0
    for i, (f, t) in enumerate(zip(filled, texts)):
        if sum(t) >= max(1, 0.6 * width) and sum(t) >= min(2, width):
            return i
    return int(np.argmax([sum(r) for r in filled]))


def make_headers(values: list[Any]) -> list[str]:
    """Header texts kept as written; blanks get the column letter, repeats a ' [n]' suffix."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        name = "" if _is_blank(v) else str(v).strip()
        if isinstance(v, float) and v.is_integer():
            name = str(int(v))
        if not name:
            name = f"Column {column_letter(i)}"
        n = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = n
        out.append(name if n == 1 else f"{name} [{n}]")
    return out


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def base_header(name: str) -> str:
    """'Component/s [2]' → 'Component/s': repeated headers share a base name."""
    return re.sub(r" \[\d+\]$", "", name)


def table_from_grid(grid: pd.DataFrame, sheet: str | None, header_row: int | None = None,
                    merges: list | None = None, line_numbers: np.ndarray | None = None,
                    clean_text: bool = True, judge: bool = True) -> Table:
    """Cut a raw grid at its header row; drop blank rows, trailing blank columns, totals, footers and repeated
    headers (each named in a note); join a two-row header; strip invisible characters from text cells."""
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    notes: list[str] = []
    invisible = sheet_rows.strip_invisible(grid) if clean_text else 0
    if invisible:
        notes.append(f"zero-width or text-direction characters were removed from {invisible:,} cell(s)")
    h = detect_header_row(grid) if header_row is None else max(0, header_row - 1)
    preview = grid.head(max(h + 6, 10)).copy()
    header_values = list(grid.iloc[h]) if len(grid) > h else []
    if header_row is None and header_values:
        grouped, note = sheet_rows.group_header(grid, h, merges or [], column_letter)
        if grouped:
            header_values = grouped
            notes.append(note)
    body = grid.iloc[h + 1:]
    # keep columns that have a header or any value
    keep = [c for c in range(grid.shape[1])
            if (c < len(header_values) and not _is_blank(header_values[c])) or body[c].map(_is_blank).eq(False).any()]
    body = body[keep]
    kept_header = [header_values[c] for c in keep]
    headers = make_headers(kept_header)
    lines = line_numbers if line_numbers is not None else np.arange(1, len(grid) + 1)
    dropped: dict[int, str] = {}
    used, median = 0, 0.0
    if body.shape[1]:
        blank = (body.isna() | body.eq("")).to_numpy()
        empty = blank.all(axis=1)
        # rows with only whitespace or only blanks count as empty too (cheap check on the few left)
        maybe = ~empty & (blank.sum(axis=1) >= body.shape[1] - 1)
        if maybe.any():
            empty[maybe] = body[maybe].map(_is_blank).all(axis=1).to_numpy()
        drop, found, counts = sheet_rows.messy_rows(body, blank, empty, kept_header, lambda i: int(lines[i]))
        notes += found
        for i in body.index[drop]:
            dropped[int(lines[i])] = "not data"
        rows = ~empty & ~drop
        body = body[rows]
        if judge and header_row is None and rows.any():
            used, median = int((~blank[rows]).any(axis=0).sum()), float(np.median(counts[rows]))
    row_numbers = lines[body.index.to_numpy()]
    body = body.reset_index(drop=True)
    body.columns = headers
    table = Table(sheet=sheet, headers=headers, data=body.astype(object), row_numbers=row_numbers,
                  header_row=h + 1, raw_preview=preview, dropped=dropped, notes=notes)
    if judge and header_row is None:
        table.not_a_table = sheet_rows.not_a_table(kept_header, used, median)
    return table


# --------------------------------------------------------------------------- entry point
def read_bytes(data: bytes, file_name: str, limits: ImportLimits | None = None,
               header_rows: dict[str | None, int] | None = None, include_hidden: set[str] | frozenset = frozenset(),
               as_tables: set[str] | frozenset = frozenset()) -> ReadResult:
    """Read every sheet of a workbook (or the one table of a CSV, HTML page, XML or JSON file) from raw bytes.

    ``include_hidden`` names hidden sheets to read anyway; ``as_tables`` names sheets to take as tables although
    they look like notes or a lookup list (a header row given in ``header_rows`` says the same).
    """
    limits = limits or ImportLimits()
    header_rows = header_rows or {}
    if len(data) > limits.max_file_mb * 1024 * 1024:
        raise ImportRefused(f"the file is {len(data) / 1e6:,.0f} MB, above the limit of {limits.max_file_mb} MB "
                            "(THROUGHLINE_MAX_FILE_MB).", file=file_name)
    sha = hashlib.sha256(data).hexdigest()
    fmt = sniff_format(data, file_name)
    if fmt == "zip":
        fmt = workbook.check_zip(data, file_name, limits)
        tables, aside, notes = workbook.read_workbook(data, file_name, header_rows, set(include_hidden),
                                                      set(as_tables))
        return _result(ReadResult(file_name, sha, fmt, tables, notes=notes, set_aside=aside))
    if fmt in ("html", "spreadsheetml", "json"):
        return _result(_read_markup(data, file_name, fmt, sha, limits, header_rows, set(include_hidden),
                                    set(as_tables)))
    return _read_csv(data, file_name, sha, limits, header_rows)


def _result(result: ReadResult) -> ReadResult:
    """Per-sheet notes into the result's notes; refuse a file with nothing to import, saying what was set aside."""
    for table in result.tables:
        where = f"Sheet '{table.sheet}': " if table.sheet else ""
        result.notes += [where + n[0].upper() + n[1:] + ("" if n.endswith(".") else ".") for n in table.notes]
    if not result.tables:
        aside = "; ".join(f"'{t.sheet}' ({t.hidden or t.not_a_table})" for t in result.set_aside)
        raise ImportRefused("the file has no data rows in any sheet (only empty sheets or headers"
                            + (f"; set aside: {aside}" if aside else "") + ").", file=result.file_name)
    return result


def _read_markup(data: bytes, file_name: str, fmt: str, sha: str, limits: ImportLimits,
                 header_rows: dict[str | None, int], include_hidden: set[str], as_tables: set[str]) -> ReadResult:
    """HTML tables (Jira Server's "Excel" export), SpreadsheetML 2003, JSON records: grids → tables."""
    if fmt == "json":
        grids = [formats.read_json(data, file_name, limits)]
    else:
        grids = (formats.read_html if fmt == "html" else formats.read_spreadsheetml)(data, file_name, limits)
    tables, aside, notes = [], [], []
    several = len(grids) > 1
    for g in grids:
        if g.grid.empty:
            continue
        name = g.name if several or fmt == "spreadsheetml" else None
        table = table_from_grid(g.grid, name, header_rows.get(name))
        table.hidden = g.hidden
        if table.hidden and name not in include_hidden:
            aside.append(table)
            notes.append(f"Sheet '{name}' is {table.hidden} in the workbook: skipped (include it by name to import it).")
        elif table.not_a_table and several and name not in as_tables and name not in header_rows:
            aside.append(table)
            notes.append(f"Table '{name}' was set aside: {table.not_a_table}.")
        elif not table.data.empty:
            tables.append(table)
    if fmt == "html" and len(tables) > 1:  # a page: the table of records is the largest; others are layout
        tables.sort(key=lambda t: t.data.size, reverse=True)
        for t in tables[1:]:
            t.not_a_table = "a smaller table on the same page (layout or a summary)"
            notes.append(f"Table '{t.sheet}' was set aside: {t.not_a_table}.")
        tables, aside = tables[:1], aside + tables[1:]
    elif several:
        tables, aside, notes = workbook.keep_one(*workbook.set_aside_lookups(tables, aside, notes,
                                                                             as_tables | set(header_rows)))
    return ReadResult(file_name, sha, fmt, tables, encoding="utf-8" if fmt == "json" else None, notes=notes,
                      set_aside=aside)


def _read_csv(data: bytes, file_name: str, sha: str, limits: ImportLimits,
              header_rows: dict[str | None, int]) -> ReadResult:
    text, encoding = decode_text(data)
    if _looks_binary(text):
        raise ImportRefused("this is not a text or spreadsheet file (binary content). Upload an .xlsx or .csv.",
                            file=file_name)
    notes = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("NUL characters were removed from the file.")
    text, note, breaks = csv_records.normalise_newlines(text)
    notes += [note] if note else []
    text, invisible = csv_records.strip_invisible(text)
    if invisible:
        notes.append(f"{invisible:,} zero-width or text-direction character(s) were removed (they make look-alike "
                     "keys differ).")
    delimiter = detect_delimiter(text)
    lines = breaks + (0 if text.endswith("\n") else 1)
    _check_text_size(text, delimiter, file_name, limits, lines)
    read = csv_records.read_csv_grid(text, delimiter, file_name, lines)
    notes += read.notes
    table = table_from_grid(read.grid, None, header_rows.get(None), line_numbers=read.line_numbers,
                            clean_text=False, judge=False)
    table.unreadable = list(read.unreadable)
    if table.unreadable:
        listed = "; ".join(f"line {n}: {why}" for n, why in table.unreadable[:10])
        more = f"; and {len(table.unreadable) - 10} more" if len(table.unreadable) > 10 else ""
        notes.append(f"{len(table.unreadable)} record(s) could not be read and were not imported ({listed}{more}).")
    if table.data.empty:
        raise ImportRefused(f"the file has a header row (row {table.header_row}) but no data rows under it"
                            + (f"; {notes[-1]}" if table.unreadable else "."), file=file_name)
    result = ReadResult(file_name, sha, "csv", [table], encoding=encoding, delimiter=delimiter, notes=notes)
    result.notes += [n[0].upper() + n[1:] + ("" if n.endswith(".") else ".") for n in table.notes]
    return result


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return len(sample) > 0 and controls / len(sample) > 0.05


def _check_text_size(text: str, delimiter: str, file_name: str, limits: ImportLimits, lines: int) -> None:
    """Refuse a CSV too big for memory before parsing it into objects: records (a quoted line break continues
    its record) × the widest of the first rows; the width comes from the csv module, so commas inside quoted
    text are not columns. Records are counted only when the cheap line count is over a limit."""
    head = csv.reader(io.StringIO(text[:262144]), delimiter=delimiter)
    try:
        width = max((len(row) for _, row in zip(range(HEADER_SCAN_ROWS), head)), default=1)
    except csv.Error:
        width = max(1, text[:65536].split("\n", 1)[0].count(delimiter) + 1)
    if width > limits.max_columns:
        raise ImportRefused(f"the file is {width:,} columns wide, above the limit of {limits.max_columns:,} columns. "
                            "Remove the columns you do not need, or raise THROUGHLINE_MAX_COLUMNS.", file=file_name)
    if lines <= limits.max_rows and lines * width <= limits.max_cells:
        return
    records = csv_records.count_records(text)
    counted = f"{records:,} rows" + (f" ({lines:,} lines: quoted cells hold line breaks)" if records != lines else "")
    if records > limits.max_rows:
        raise ImportRefused(f"the file has {counted}, above the limit of {limits.max_rows:,} rows. Split it into "
                            "smaller files, or raise THROUGHLINE_MAX_ROWS.", file=file_name)
    if records * width > limits.max_cells:
        raise ImportRefused(f"the file has about {records * width:,} cells ({counted} × {width} columns), above "
                            f"the limit of {limits.max_cells:,} cells one upload may hold in memory. Split it into "
                            f"files of at most {max(1, limits.max_cells // width):,} rows, or raise "
                            "THROUGHLINE_MAX_CELLS on a server with more memory.", file=file_name)
