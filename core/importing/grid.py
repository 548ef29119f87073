"""A sheet's grid of raw cells → a Table: the header row found under titles and merged cells, headers made
unique, and the row numbers the user sees in Excel kept beside each row.

Shared by every reader (CSV, workbooks, markup) so that a table is the same whatever file it came in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.importing import sheet_rows
from core.store.values import is_blank

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



def detect_header_row(grid: pd.DataFrame) -> int:
    """0-based index of the header: the first row whose text cells span most of the table's width.

    Title rows and merged cells above the table fill one or two cells; the header
    fills (nearly) every column with text; data rows below hold numbers and dates.
    """
    probe = grid.head(HEADER_SCAN_ROWS)
    filled = [[not is_blank(v) for v in row] for row in probe.itertuples(index=False)]
    texts = [[isinstance(v, str) and not is_blank(v) for v in row] for row in probe.itertuples(index=False)]
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
        name = "" if is_blank(v) else str(v).strip()
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


def _blank_cells(body: pd.DataFrame) -> np.ndarray:
    """Missing or empty-string cells of a frame with at least one column, as a bool matrix, built a column at a
    time: faster than the frame-wide ``isna() | eq("")`` on object columns."""
    return np.column_stack([pd.isna(values) | (values == "") for values in
                            (body[c].to_numpy(dtype=object) for c in body.columns)])


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
            if (c < len(header_values) and not is_blank(header_values[c])) or body[c].map(is_blank).eq(False).any()]
    body = body[keep]
    kept_header = [header_values[c] for c in keep]
    headers = make_headers(kept_header)
    lines = line_numbers if line_numbers is not None else np.arange(1, len(grid) + 1)
    dropped: dict[int, str] = {}
    used, median = 0, 0.0
    if body.shape[1]:
        blank = _blank_cells(body)
        empty = blank.all(axis=1)
        # rows with only whitespace or only blanks count as empty too (cheap check on the few left)
        maybe = ~empty & (blank.sum(axis=1) >= body.shape[1] - 1)
        if maybe.any():
            empty[maybe] = body[maybe].map(is_blank).all(axis=1).to_numpy()
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
