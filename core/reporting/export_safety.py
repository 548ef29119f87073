"""Spreadsheets we hand out: the one formula-safe writer of every workbook and CSV the product writes.

A cell of text that starts with ``= + - @``, a tab or a carriage return can be run as a
formula by Excel or LibreOffice (directly, or after a save as CSV): OWASP's "CSV injection".
Such text is written with a leading apostrophe, so it always reads as the text it is.

Every writer goes through here: :func:`write_xlsx` (formatted sheets), :func:`csv_bytes`, and, for
a workbook laid out cell by cell (the steering pack), :func:`new_workbook` / :func:`new_sheet` and
:func:`save_workbook`, which sweeps every cell and sheet name before saving. Headers and sheet
names are neutralised like any cell (tests/test_security_exports.py checks every writer, and that no
other module creates a workbook or a CSV).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Sequence

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: Any) -> Any:
    """The value to write in a cell: formula-like text gets a leading apostrophe; anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value


def undo_neutralise(value: Any) -> Any:
    """What :func:`neutralise` was given: a re-import of our own file reads the text the app had."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and header neutralised (numbers, dates and booleans untouched)."""
    out = frame.copy()
    for col in out.columns:
        column = out[col]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[col] = column.map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel opens it with the right encoding), injection-safe."""
    # CRLF line ends, as Excel writes them; it also makes the csv module quote a cell holding a bare CR
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def new_workbook() -> Any:
    """An empty openpyxl workbook (no default sheet): fill it with :func:`new_sheet`, save with save_workbook."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def new_sheet(wb: Any, name: str) -> Any:
    return wb.create_sheet(sheet_title(name))


def save_workbook(wb: Any) -> bytes:
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
    rows: Iterable[Sequence[Any]]


def write_xlsx(sheets: Sequence[SheetSpec]) -> bytes:
    """A workbook with a bold, filled, frozen header row, an autofilter, fitted widths and real date cells.

    Text is neutralised (see module docstring); dates and times stay dates (a date at midnight shows as a
    date, anything else with its time), so the file sorts and filters in Excel and re-imports exactly.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = new_workbook()
    for spec in sheets:
        ws = new_sheet(wb, spec.name)
        headers = [str(h) for h in spec.headers]
        ws.append([neutralise(h) for h in headers])
        widths = [len(h) for h in headers]
        for row in spec.rows:
            values = [_cell(v) for v in row]
            ws.append(values)
            for i, v in enumerate(values):
                widths[i] = max(widths[i], _shown_length(v))
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="305496")
            cell.alignment = Alignment(vertical="center")
        for col in ws.iter_cols(min_row=2):
            for cell in col:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd" if cell.value.time() == datetime.min.time() else "yyyy-mm-dd hh:mm"
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(8, width + 2))
        ws.freeze_panes = "A2"
        if headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, ws.max_row)}"
    return save_workbook(wb)


def sheet_title(name: str) -> str:
    """Excel's rules (at most 31 characters, none of : \\ / ? * [ ], no edge apostrophe); formula-like gets _."""
    cleaned = "".join("_" if ch in ':\\/?*[]' else ch for ch in str(name)).strip("'") or "Sheet1"
    return ("_" + cleaned if is_formula_like(cleaned) else cleaned)[:31]



def safe_cell(value: Any) -> Any:
    """A value as a cell holds it: dates as dates, numbers as numbers, text neutralised."""
    return _cell(value)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    return neutralise(value) if isinstance(value, str) else value


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 10 if value.time() == datetime.min.time() else 16
    return max((len(line) for line in str(value).splitlines()), default=0)
