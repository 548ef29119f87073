"""Bytes → sheets: sniff the format from the bytes, refuse unsafe input, find the header row.

Nothing here knows about fields or the database; the output is a list of
:class:`Table` objects whose cells are still raw (strings from CSV, Python values
from xlsx) plus the row numbers the user sees in Excel.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.config import ImportLimits
from core.errors import ImportRefused
from core.importing import sheet_extent

HEADER_SCAN_ROWS = 30
XML_PROBE_BYTES = 4096


@dataclass
class Table:
    """One sheet (or the single table of a CSV) with its header found."""

    sheet: str | None
    headers: list[str]
    data: pd.DataFrame  # columns = headers (unique), object dtype, raw cell values
    row_numbers: np.ndarray  # the row number the user sees in Excel, per data row
    header_row: int  # 1-based row of the header
    raw_preview: pd.DataFrame = field(default_factory=pd.DataFrame)  # first rows above/around the header


@dataclass
class ReadResult:
    file_name: str
    sha256: str
    file_format: str  # xlsx | xlsm | csv
    tables: list[Table]
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- sniffing
def sniff_format(data: bytes, file_name: str) -> str:
    """Return 'xlsx' or 'csv' from the bytes, or refuse with a message that says what the file is."""
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
    known = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
             b"GIF8": "a GIF image", b"\x1f\x8b": "a gzip archive", b"Rar!": "a RAR archive",
             b"7z\xbc\xaf": "a 7-Zip archive", b"{\\rtf": "an RTF document"}
    for magic, what in known.items():
        if data.startswith(magic):
            raise ImportRefused(f"this is {what}, not a spreadsheet. Upload an .xlsx or .csv file.",
                                file=file_name)
    return "csv"


def _check_zip(data: bytes, file_name: str, limits: ImportLimits) -> str:
    """Refuse zip/XML bombs and non-spreadsheet archives before any parser sees them."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ImportRefused(f"the workbook is damaged or truncated and cannot be opened ({exc}). "
                            "Open it in Excel, save it again and re-upload.", file=file_name) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        if "content.xml" in names:
            raise ImportRefused("this is an OpenDocument spreadsheet (.ods). Save it as .xlsx and upload again.",
                                file=file_name)
        if any(n.startswith("word/") for n in names):
            raise ImportRefused("this is a Word document, not a spreadsheet.", file=file_name)
        raise ImportRefused("this is a ZIP archive, not an Excel workbook. Upload the .xlsx or .csv itself.",
                            file=file_name)
    if "xl/workbook.bin" in names:
        raise ImportRefused("this is a binary workbook (.xlsb). Save it as .xlsx and upload again.", file=file_name)
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > limits.max_uncompressed_mb * 1024 * 1024:
        raise ImportRefused(f"the workbook unpacks to {total / 1e6:,.0f} MB, above the limit of "
                            f"{limits.max_uncompressed_mb} MB. Split it into smaller files.", file=file_name)
    biggest = max(infos, key=lambda i: i.file_size)
    ratio = max(total / packed, biggest.file_size / max(1, biggest.compress_size))
    if ratio > limits.max_compression_ratio and total > 10 * 1024 * 1024:
        raise ImportRefused(f"the workbook is compressed {ratio:,.0f} to 1, which looks like a zip bomb "
                            f"(limit {limits.max_compression_ratio} to 1). It was not opened.", file=file_name)
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            with zf.open(info) as fh:
                probe = fh.read(XML_PROBE_BYTES)
            if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe:
                raise ImportRefused(f"the workbook part '{info.filename}' declares XML entities, which "
                                    "spreadsheets never need (an XML bomb?). It was not opened.", file=file_name)
    _check_extents(zf, file_name, limits)
    return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"


def _check_extents(zf: zipfile.ZipFile, file_name: str, limits: ImportLimits) -> None:
    """Refuse sheets too large to hold in memory, measured from the XML before the parser allocates them."""
    for sheet, extent in sheet_extent.worksheets(zf).items():
        last = f"column {sheet_extent.column_letters(extent.columns)}, row {extent.rows:,}"
        if extent.columns > limits.max_columns:
            raise ImportRefused(f"the sheet's used area is {extent.columns:,} columns wide (up to {last}), above "
                                f"the limit of {limits.max_columns:,}. If the columns on the right are empty, "
                                "select them in Excel, delete them and save.", file=file_name, sheet=sheet)
        if extent.rows > limits.max_rows:
            raise ImportRefused(f"the sheet's used area is {extent.rows:,} rows long, above the limit of "
                                f"{limits.max_rows:,}. Split it into smaller files.", file=file_name, sheet=sheet)
        if extent.cells > limits.max_cells:
            raise ImportRefused(f"the sheet holds {extent.cells:,} cells ({extent.rows:,} rows), above the limit "
                                f"of {limits.max_cells:,} cells one upload may hold in memory. Split it into "
                                f"files of at most {_rows_per_file(extent, limits):,} rows, or raise "
                                "THROUGHLINE_MAX_CELLS on a server with more memory.", file=file_name, sheet=sheet)
        if extent.area > limits.max_area:
            raise ImportRefused(f"the sheet's used area reaches {last}: {extent.area:,} cells including empty "
                                f"ones, above the limit of {limits.max_area:,}. Something far below or right of "
                                "the data (a stray value or format) stretches it: delete the empty rows and "
                                "columns around the data in Excel and save.", file=file_name, sheet=sheet)


def _rows_per_file(extent: sheet_extent.Extent, limits: ImportLimits) -> int:
    """A row count to suggest for splitting: the cell limit over the cells per row, rounded down to thousands."""
    rows = limits.max_cells // max(1, extent.cells // max(1, extent.rows))
    return rows // 1000 * 1000 if rows >= 1000 else max(1, rows)


# --------------------------------------------------------------------------- text files
def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOMs first, then strict UTF-8, then cp1252 (latin-1 as last resort)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    sample = data[:4000]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) * 0.4:
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) * 0.4:
        return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return len(sample) > 0 and controls / len(sample) > 0.05


def detect_delimiter(text: str) -> str:
    """`,` `;` tab or `|`: the one that splits the first lines into the most consistent columns."""
    lines = [ln for ln in text[:65536].splitlines()[:50] if ln.strip()]
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


def _read_csv_grid(text: str, delimiter: str, file_name: str) -> pd.DataFrame:
    """All cells as strings; ragged rows padded instead of refused."""
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False,
                           na_filter=False, engine="c", skip_blank_lines=False, quotechar='"')
    except pd.errors.ParserError:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        width = max((len(r) for r in rows), default=0)
        return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    except pd.errors.EmptyDataError:
        raise ImportRefused("the file has no rows.", file=file_name) from None


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


def table_from_grid(grid: pd.DataFrame, sheet: str | None, header_row: int | None = None) -> Table:
    """Cut a raw grid at its header row; drop fully blank rows and trailing blank columns."""
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    h = detect_header_row(grid) if header_row is None else max(0, header_row - 1)
    preview = grid.head(max(h + 6, 10)).copy()
    header_values = list(grid.iloc[h]) if len(grid) > h else []
    body = grid.iloc[h + 1:]
    # keep columns that have a header or any value
    keep = [c for c in range(grid.shape[1])
            if (c < len(header_values) and not _is_blank(header_values[c])) or body[c].map(_is_blank).eq(False).any()]
    body = body[keep]
    headers = make_headers([header_values[c] for c in keep])
    if body.shape[1]:
        blank = body.isna() | body.eq("")
        candidates = ~blank.all(axis=1)
        # rows with only whitespace or only blanks count as empty too (cheap check on the few left)
        maybe = candidates & (blank.sum(axis=1) >= body.shape[1] - 1)
        if maybe.any():
            candidates.loc[maybe] = ~body.loc[maybe].map(_is_blank).all(axis=1)
        body = body[candidates]
    row_numbers = body.index.to_numpy() + 1
    body = body.reset_index(drop=True)
    body.columns = headers
    return Table(sheet=sheet, headers=headers, data=body.astype(object), row_numbers=row_numbers,
                 header_row=h + 1, raw_preview=preview)


# --------------------------------------------------------------------------- entry point
def read_bytes(data: bytes, file_name: str, limits: ImportLimits | None = None,
               header_rows: dict[str | None, int] | None = None) -> ReadResult:
    """Read every sheet of a workbook (or the one table of a CSV) from raw bytes."""
    limits = limits or ImportLimits()
    header_rows = header_rows or {}
    if len(data) > limits.max_file_mb * 1024 * 1024:
        raise ImportRefused(f"the file is {len(data) / 1e6:,.0f} MB, above the limit of {limits.max_file_mb} MB.",
                            file=file_name)
    sha = hashlib.sha256(data).hexdigest()
    fmt = sniff_format(data, file_name)
    if fmt == "zip":
        fmt = _check_zip(data, file_name, limits)
        return ReadResult(file_name, sha, fmt, _read_workbook(data, file_name, limits, header_rows))
    text, encoding = decode_text(data)
    if _looks_binary(text):
        raise ImportRefused("this is not a text or spreadsheet file (binary content). Upload an .xlsx or .csv.",
                            file=file_name)
    notes = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("NUL characters were removed from the file.")
    delimiter = detect_delimiter(text)
    _check_text_size(text, delimiter, file_name, limits)
    grid = _read_csv_grid(text, delimiter, file_name)
    table = table_from_grid(grid, None, header_rows.get(None))
    if table.data.empty:
        raise ImportRefused(f"the file has a header row (row {table.header_row}) but no data rows under it.",
                            file=file_name)
    return ReadResult(file_name, sha, "csv", [table], encoding=encoding, delimiter=delimiter, notes=notes)


def _check_text_size(text: str, delimiter: str, file_name: str, limits: ImportLimits) -> None:
    """Estimate the cells of a CSV from its line count and widest header before parsing it into objects.

    The width comes from the csv module on the first lines, so commas inside quoted text are not columns.
    """
    lines = text.count("\n") + 1
    head = csv.reader(io.StringIO(text[:65536]), delimiter=delimiter)
    width = max((len(row) for _, row in zip(range(HEADER_SCAN_ROWS), head)), default=1)
    if lines > limits.max_rows:
        raise ImportRefused(f"the file has {lines:,} lines, above the limit of {limits.max_rows:,} rows. "
                            "Split it into smaller files.", file=file_name)
    if lines * width > limits.max_cells:
        raise ImportRefused(f"the file has about {lines * width:,} cells ({lines:,} lines × {width} columns), above "
                            f"the limit of {limits.max_cells:,} cells one upload may hold in memory. Split it into "
                            f"files of at most {max(1, limits.max_cells // width):,} lines, or raise "
                            "THROUGHLINE_MAX_CELLS on a server with more memory.", file=file_name)


def _read_workbook(data: bytes, file_name: str, limits: ImportLimits,
                   header_rows: dict[str | None, int]) -> list[Table]:
    """Every sheet through calamine (python-calamine, the engine behind pandas' ``engine="calamine"``).

    Called directly: pandas' wrapper converts each cell in Python, which cost 0.7 s
    of 2.0 s on the 100k-row benchmark workbook. The sheet sizes were checked by ``_check_extents`` already.
    """
    from python_calamine import CalamineWorkbook

    tables = []
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
        for name in names:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            grid = pd.DataFrame(rows, dtype=object)
            if grid.empty or (grid.isna() | grid.eq("")).all().all():
                continue
            table = table_from_grid(grid, str(name), header_rows.get(str(name)))
            if not table.data.empty:  # a sheet with only a header (or a title) holds nothing to import
                tables.append(table)
    except ImportRefused:
        raise
    except Exception as exc:  # calamine raises its own types for damaged parts and entity tricks
        raise ImportRefused(f"the workbook cannot be read ({type(exc).__name__}: {str(exc)[:200]}). "
                            "Open it in Excel, save it again as .xlsx and re-upload.", file=file_name) from None
    if not tables:
        raise ImportRefused("the workbook has no data rows in any sheet (only empty sheets or headers).",
                            file=file_name)
    return tables
