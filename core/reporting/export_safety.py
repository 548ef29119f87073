"""Spreadsheets we hand out: the one formula-safe writer of every workbook and CSV the product writes.

A cell of text that starts with ``= + - @``, a tab or a carriage return can be run as a
formula by Excel or LibreOffice (directly, or after a save as CSV): OWASP's "CSV injection".
Such text is written with a leading apostrophe, so it always reads as the text it is.

Every writer goes through here: :func:`write_xlsx` (one table per sheet: My work, rejected rows),
:func:`csv_bytes` (every table's download, the audit export) and, for a workbook laid out by hand
(the steering pack, core.reporting.steering_pack), :func:`new_workbook` / :func:`new_sheet`,
:func:`write_rows` for each table and :func:`save_workbook`, which sweeps every cell and sheet name
before saving. So every file has one header style, one way to write a value (dates as dates, lists
joined by :data:`LIST_SEPARATOR`) and one set of fitted widths. Headers and sheet names are
neutralised like any cell (tests/test_security_exports.py checks every writer, and that no other
module creates a workbook or a CSV).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import pandas as pd

from core.store.values import is_missing

if TYPE_CHECKING:  # openpyxl is imported when a workbook is written, not when a page imports the CSV writer
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60
MIN_WIDTH = 8
HEADER_COLOUR = "305496"  # every header row of every workbook: bold white on this blue
LIST_SEPARATOR = "; "  # a list in one cell ("Ann; Bob"): what the importers split a multi-value cell on
NumberFormat = Callable[[str, object], "str | None"]  # (column name, cell value) → an Excel number format


def is_formula_like(value: object) -> bool:
    """Text a spreadsheet would run as a formula (OWASP's list of leading characters)."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> object:
    """The value to write in a cell: formula-like text gets a leading apostrophe; anything else is unchanged."""
    return "'" + value if isinstance(value, str) and is_formula_like(value) else value


def undo_neutralise(value: object) -> object:
    """What :func:`neutralise` was given: a re-import of our own file reads the text the app had."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def _text(value: object) -> object:
    """A text-column cell for CSV: lists joined the way workbooks join them, then neutralised."""
    if isinstance(value, (list, tuple, set, frozenset)):
        value = LIST_SEPARATOR.join(map(str, value))
    return neutralise(value)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and header neutralised (numbers, dates and booleans untouched)."""
    out = frame.copy()
    for col in out.columns:
        column = out[col]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[col] = column.map(_text)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel opens it with the right encoding), injection-safe."""
    # CRLF line ends, as Excel writes them; it also makes the csv module quote a cell holding a bare CR
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


# --------------------------------------------------------------------------- workbooks
def new_workbook() -> Workbook:
    """An empty openpyxl workbook (no default sheet): fill it with :func:`new_sheet`, save with save_workbook."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def new_sheet(wb: Workbook, name: str) -> Worksheet:
    """A sheet whose name obeys Excel's rules and is never formula-like (see sheet_title)."""
    return wb.create_sheet(sheet_title(name))


def save_workbook(wb: Workbook) -> bytes:
    """The workbook's bytes after a last sweep: no cell holds a formula or formula-like text, no sheet name either."""
    for ws in wb.worksheets:
        ws.title = sheet_title(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and (cell.data_type == "f" or is_formula_like(value)):
                    cell.value = neutralise(value)
                    cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class SheetSpec:
    """One sheet to write: a header row and rows of plain values (str, numbers, dates, None)."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


def write_xlsx(sheets: Sequence[SheetSpec]) -> bytes:
    """A workbook of one table per sheet, its header row frozen and filtered (see :func:`write_rows`).

    Dates and times stay dates, so the file sorts and filters in Excel and re-imports exactly.
    """
    from openpyxl.utils import get_column_letter

    wb = new_workbook()
    for spec in sheets:
        ws = new_sheet(wb, spec.name)
        last = write_rows(ws, spec.headers, spec.rows)
        ws.freeze_panes = "A2"
        if spec.headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(spec.headers))}{last}"
    return save_workbook(wb)


def write_rows(ws: Worksheet, headers: Sequence[object], rows: Iterable[Sequence[object]], start_row: int = 1,
               number_format: NumberFormat | None = None) -> int:
    """A header row (the one header style) and the rows under it, from ``start_row``; returns the last row written.

    Every value goes through :func:`safe_cell`; a date at midnight shows as a date, any other time with its
    hours and minutes; ``number_format`` may give other cells a format (the steering pack's thousands and
    percentages). Widths fit the longest line of each column (8 to 60 characters), and never shrink a
    column a table above already widened.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    names = [str(h) for h in headers]
    widths = [len(h) for h in names]
    font, fill, align = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor=HEADER_COLOUR), \
        Alignment(vertical="center")
    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=start_row, column=c, value=neutralise(name))
        cell.font, cell.fill, cell.alignment = font, fill, align
    row_number = start_row
    for row in rows:
        row_number += 1
        for c, raw in enumerate(row, start=1):
            value = safe_cell(raw)
            cell = ws.cell(row=row_number, column=c, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd" if value.time() == datetime.min.time() else "yyyy-mm-dd hh:mm"
            elif number_format is not None and (fmt := number_format(names[c - 1], value)):
                cell.number_format = fmt
            widths[c - 1] = max(widths[c - 1], _shown_length(value))
    for c, width in enumerate(widths, start=1):
        letter = get_column_letter(c)
        above = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(above or 0, min(MAX_WIDTH, max(MIN_WIDTH, width + 2)))
    return row_number


def sheet_title(name: str) -> str:
    """Excel's rules (at most 31 characters, none of : \\ / ? * [ ], no edge apostrophe); formula-like gets _."""
    cleaned = "".join("_" if ch in ':\\/?*[]' else ch for ch in str(name)).strip("'") or "Sheet1"
    return ("_" + cleaned if is_formula_like(cleaned) else cleaned)[:31]


def safe_cell(value: object) -> object:
    """A value as a cell holds it: dates as dates (to the second), numbers as numbers, lists joined, text neutralised.

    Anything missing (None, NaN, NaT, pd.NA) is an empty cell.
    """
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime(warn=False)  # nanoseconds: below what a cell holds
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, (list, tuple, set, frozenset)):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    elif isinstance(value, dict):
        value = str(value)
    return neutralise(value) if isinstance(value, str) else value


def _shown_length(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 10 if value.time() == datetime.min.time() else 16
    return max((len(line) for line in str(value).splitlines()), default=0)
