"""The one workbook writer (core.reporting.export_safety): the same value is written the same way in every file.

My work's export and the rejected rows go through ``write_xlsx``; the steering pack lays its sheets out by hand
but writes each table with the same ``write_rows``. Both must agree on dates, lists, blanks and the header style.
"""
from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd

from core.reporting.export_safety import (
    HEADER_COLOUR,
    LIST_SEPARATOR,
    SheetSpec,
    csv_bytes,
    new_sheet,
    new_workbook,
    safe_cell,
    save_workbook,
    write_xlsx,
)
from core.reporting.steering_pack import write_table

ROW = ["=SUM(A1)", ["Ann", "Bob"], pd.Timestamp("2026-03-02 09:30:15.5"), date(2026, 3, 2), np.int64(4), pd.NaT,
       float("nan"), None, pd.NA, 2.5]
HEADERS = ["text", "people", "when", "day", "n", "nat", "nan", "none", "na", "x"]


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_a_value_is_the_same_cell_in_both_kinds_of_workbook() -> None:
    plain = _book(write_xlsx([SheetSpec("Items", HEADERS, [ROW])]))["Items"]
    wb = new_workbook()
    write_table(new_sheet(wb, "Report"), pd.DataFrame([ROW], columns=HEADERS), start_row=1)
    report = _book(save_workbook(wb))["Report"]
    expected = ["'=SUM(A1)", "Ann; Bob", datetime(2026, 3, 2, 9, 30, 15), datetime(2026, 3, 2), 4, None, None, None,
                None, 2.5]
    for ws in (plain, report):
        assert [c.value for c in ws[2]] == expected
        assert ws["C2"].number_format == "yyyy-mm-dd hh:mm" and ws["D2"].number_format == "yyyy-mm-dd"
        assert {c.fill.fgColor.rgb[-6:] for c in ws[1]} == {HEADER_COLOUR} and all(c.font.bold for c in ws[1])
    assert report["E2"].number_format == "#,##0" and report["J2"].number_format == "#,##0.0"  # the report's formats
    assert plain["E2"].number_format == "General"  # a file to re-import keeps numbers plain


def test_lists_are_joined_the_same_way_in_cells_and_in_csv() -> None:
    assert safe_cell(("a", "b")) == safe_cell(["a", "b"]) == f"a{LIST_SEPARATOR}b" == "a; b"
    text = csv_bytes(pd.DataFrame({"people": [["Ann", "=Bob"]], "n": [1]})).decode("utf-8-sig")
    assert text.splitlines()[1] == "Ann; =Bob,1"  # joined text that starts plainly is plain text
    assert csv_bytes(pd.DataFrame({"people": [["=Ann"]]})).decode("utf-8-sig").splitlines()[1] == "'=Ann"


def test_a_second_table_on_a_sheet_never_narrows_the_columns_of_the_first() -> None:
    wb = new_workbook()
    ws = new_sheet(wb, "Summary")
    after = write_table(ws, pd.DataFrame({"figure": ["a rather long headline figure name"]}), start_row=1)
    assert after == 4  # header, one row, a blank row, then the next table
    write_table(ws, pd.DataFrame({"rank": [1]}), start_row=after)
    assert ws.column_dimensions["A"].width == len("a rather long headline figure name") + 2
