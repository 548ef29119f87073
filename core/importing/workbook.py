"""xlsx/xlsm: refuse unsafe archives before parsing, then read each visible sheet that holds a table.

Why a module: the zip and size guards, the damaged-archive messages and the sheet choices (hidden sheets
skipped unless asked for, chart sheets, notes and lookup lists set aside) are workbook matters; read.py keeps
the format-independent part (header row, messy rows). A sheet set aside never blocks the others.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from typing import TYPE_CHECKING

import pandas as pd

from core.config import ImportLimits
from core.errors import ImportRefused
from core.importing import sheet_extent
from core.importing.sheet_rows import lookup_sources

if TYPE_CHECKING:
    from core.importing.grid import Table

XML_PROBE_BYTES = 4096
_DAMAGED = (zlib.error, zipfile.BadZipFile, EOFError, OSError, NotImplementedError)


def _corrupt(file_name: str, part: str | None = None) -> ImportRefused:
    what = f"its part '{part}' is corrupt" if part else "part of it is corrupt"
    return ImportRefused(f"the workbook cannot be unpacked: {what} (the compressed data is damaged, as after an "
                         "interrupted download or copy). Download or copy the file again; or open it in Excel, "
                         "which offers to repair it, save it and upload the saved copy.", file=file_name)


def check_zip(data: bytes, file_name: str, limits: ImportLimits) -> str:
    """Refuse zip/XML bombs, damaged archives and non-spreadsheet archives before any parser sees them."""
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
                            f"{limits.max_uncompressed_mb} MB. Split it into smaller files, or raise "
                            "THROUGHLINE_MAX_UNCOMPRESSED_MB.", file=file_name)
    biggest = max(infos, key=lambda i: i.file_size)
    ratio = max(total / packed, biggest.file_size / max(1, biggest.compress_size))
    if ratio > limits.max_compression_ratio and total > 10 * 1024 * 1024:
        raise ImportRefused(f"the workbook is compressed {ratio:,.0f} to 1, which looks like a zip bomb "
                            f"(limit {limits.max_compression_ratio} to 1, THROUGHLINE_MAX_COMPRESSION_RATIO). "
                            "It was not opened.", file=file_name)
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            try:
                with zf.open(info) as fh:
                    probe = fh.read(XML_PROBE_BYTES)
            except _DAMAGED:
                raise _corrupt(file_name, info.filename) from None
            if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe:
                raise ImportRefused(f"the workbook part '{info.filename}' declares XML entities, which "
                                    "spreadsheets never need (an XML bomb?). It was not opened.", file=file_name)
    try:
        _check_extents(zf, file_name, limits)
    except _DAMAGED:
        raise _corrupt(file_name) from None
    return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"


def _check_extents(zf: zipfile.ZipFile, file_name: str, limits: ImportLimits) -> None:
    """Refuse sheets too large to hold in memory, measured from the XML before the parser allocates them."""
    for sheet, extent in sheet_extent.worksheets(zf).items():
        last = f"column {sheet_extent.column_letters(extent.columns)}, row {extent.rows:,}"
        if extent.columns > limits.max_columns:
            raise ImportRefused(f"the sheet's used area is {extent.columns:,} columns wide (up to {last}), above "
                                f"the limit of {limits.max_columns:,}. If the columns on the right are empty, "
                                "select them in Excel, delete them and save; if they hold data, raise "
                                "THROUGHLINE_MAX_COLUMNS.", file=file_name, sheet=sheet)
        if extent.rows > limits.max_rows:
            raise ImportRefused(f"the sheet's used area is {extent.rows:,} rows long, above the limit of "
                                f"{limits.max_rows:,}. Split it into smaller files, or raise THROUGHLINE_MAX_ROWS.",
                                file=file_name, sheet=sheet)
        if extent.cells > limits.max_cells:
            raise ImportRefused(f"the sheet holds {extent.cells:,} cells ({extent.rows:,} rows), above the limit "
                                f"of {limits.max_cells:,} cells one upload may hold in memory. Split it into "
                                f"files of at most {_rows_per_file(extent, limits):,} rows, or raise "
                                "THROUGHLINE_MAX_CELLS on a server with more memory.", file=file_name, sheet=sheet)
        if extent.area > limits.max_area:
            raise ImportRefused(f"the sheet's used area reaches {last}: {extent.area:,} cells including empty "
                                f"ones, above the limit of {limits.max_area:,}. Something far below or right of "
                                "the data (a stray value or format) stretches it: delete the empty rows and "
                                "columns around the data in Excel and save (or raise THROUGHLINE_MAX_AREA).",
                                file=file_name, sheet=sheet)


def _rows_per_file(extent: sheet_extent.Extent, limits: ImportLimits) -> int:
    """A row count to suggest for splitting: the cell limit over the cells per row, rounded down to thousands."""
    rows = limits.max_cells // max(1, extent.cells // max(1, extent.rows))
    return rows // 1000 * 1000 if rows >= 1000 else max(1, rows)


def read_workbook(data: bytes, file_name: str, header_rows: dict[str | None, int], include_hidden: set[str],
                  as_tables: set[str]) -> tuple[list[Table], list[Table], list[str]]:
    """Every sheet through calamine, called directly (pandas' wrapper converts each cell in Python: 0.7 s of
    2.0 s on the 100k-row benchmark). Returns (tables, sheets set aside with their reason, notes)."""
    from python_calamine import CalamineWorkbook

    from core.importing.grid import table_from_grid

    tables: list[Table] = []
    aside: list[Table] = []
    notes: list[str] = []
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for meta in workbook.sheets_metadata:
            name = str(meta.name)
            kind, visible = str(meta.typ).rsplit(".", 1)[-1], str(meta.visible).rsplit(".", 1)[-1]
            if kind not in ("WorkSheet",):
                notes.append(f"Sheet '{name}' is a {'chart' if kind == 'ChartSheet' else kind} sheet, not a table: "
                             "skipped.")
                continue
            sheet = workbook.get_sheet_by_name(name)
            grid = pd.DataFrame(sheet.to_python(skip_empty_area=False), dtype=object)
            if grid.empty or all((grid[c].isna() | grid[c].eq("")).all() for c in grid.columns):  # stops early
                continue
            table = table_from_grid(grid, name, header_rows.get(name), merges=sheet.merged_cell_ranges or [])
            table.hidden = {"Hidden": "hidden", "VeryHidden": "very hidden"}.get(visible)
            if table.hidden and name not in include_hidden:
                aside.append(table)
                notes.append(f"Sheet '{name}' is {table.hidden} in the workbook: skipped (include it by name to "
                             "import it).")
            elif table.not_a_table and name not in as_tables and name not in header_rows:
                aside.append(table)
                notes.append(f"Sheet '{name}' was set aside: {table.not_a_table}.")
            elif not table.data.empty:  # a sheet with only a header (or a title) holds nothing to import
                tables.append(table)
    except ImportRefused:
        raise
    except _DAMAGED:
        raise _corrupt(file_name) from None
    except Exception as exc:  # calamine raises its own types for damaged parts and entity tricks
        if any(w in str(exc).lower() for w in ("deflate", "zip", "crc", "inflate", "decompress")):
            raise _corrupt(file_name) from None
        raise ImportRefused(f"the workbook cannot be read ({type(exc).__name__}: {str(exc)[:200]}). "
                            "Open it in Excel, save it again as .xlsx and re-upload.", file=file_name) from None
    return keep_one(*set_aside_lookups(tables, aside, notes, as_tables | set(header_rows)))


def keep_one(tables: list[Table], aside: list[Table], notes: list[str]) -> tuple[list[Table], list[Table], list[str]]:
    """With no table left, the sheets set aside as not tables are read after all (marked, and said so): setting a
    sheet aside is there so that it does not block the others, not to refuse a file of one odd sheet."""
    if tables:
        return tables, aside, notes
    back = [t for t in aside if t.not_a_table and not t.hidden and not t.data.empty]
    notes = [n for n in notes if not any(n.startswith(f"Sheet '{t.sheet}' was set aside") for t in back)]
    notes += [f"Sheet '{t.sheet}' does not look like a table ({t.not_a_table}); it was read as one because no other "
              "sheet is." for t in back]
    return back, [t for t in aside if t not in back], notes


def set_aside_lookups(tables: list[Table], aside: list[Table], notes: list[str],
                      keep: set) -> tuple[list[Table], list[Table], list[str]]:
    """Move lookup lists (a rating scale, a legend another sheet's column draws on) from tables to aside."""
    if len(tables) > 1:
        lookups = lookup_sources({str(t.sheet): t.data for t in tables})
        for table in [t for t in tables if str(t.sheet) in lookups and t.sheet not in keep]:
            table.not_a_table = lookups[str(table.sheet)]
            tables.remove(table)
            aside.append(table)
            notes.append(f"Sheet '{table.sheet}' was set aside: {table.not_a_table}.")
    return tables, aside, notes
