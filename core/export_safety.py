"""Spreadsheets we hand out: formula-injection safe text, and a formatted xlsx writer every export can share.

A cell of text that starts with ``= + - @``, a tab or a carriage return can be run as a
formula by Excel or LibreOffice (directly, or after a save as CSV): OWASP's "CSV injection".
Such text is written with a leading apostrophe, so it always reads as the text it is.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: Any) -> Any:
    """The value to write in a cell: formula-like text gets a leading apostrophe; anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value


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
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(_sheet_title(spec.name))
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
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_title(name: str) -> str:
    """Excel's rules: at most 31 characters, none of : \\ / ? * [ ]."""
    cleaned = "".join("_" if ch in ':\\/?*[]' else ch for ch in str(name)).strip("'") or "Sheet1"
    return cleaned[:31]


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
