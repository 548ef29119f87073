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
from dataclasses import dataclass, field

from core.config import ImportLimits
from core.errors import ImportRefused
from core.importing import csv_records, formats, workbook
from core.importing.csv_records import decode_text, detect_delimiter  # noqa: F401  (kept importable from here)
from core.importing.grid import HEADER_SCAN_ROWS, Table, table_from_grid


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
