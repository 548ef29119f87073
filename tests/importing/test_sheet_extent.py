"""The xlsx extent scanner: it must agree with what the parser would allocate, on every way a sheet is written."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from core.config import ImportLimits
from core.errors import ImportRefused
from core.importing import sheet_extent
from core.importing.read import read_bytes
from tests.fixtures.make_bad_files import minimal_xlsx


def extent_of(data: bytes) -> sheet_extent.Extent:
    (extent,) = sheet_extent.worksheets(zipfile.ZipFile(io.BytesIO(data))).values()
    return extent


@pytest.mark.parametrize(("letters", "number"), [("A", 1), ("Z", 26), ("AA", 27), ("AZ", 52), ("ZZ", 702),
                                                 ("AAA", 703), ("XFD", 16384)])
def test_column_letters_and_numbers_round_trip(letters: str, number: int) -> None:
    assert sheet_extent.column_number(letters) == number
    assert sheet_extent.column_letters(number) == letters


def test_an_openpyxl_workbook_is_measured_exactly_and_named_by_its_tab() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Q3 plan"
    for r in range(1, 41):
        ws.append([f"v{r}-{c}" for c in range(1, 31)])  # 30 columns: A..AD
    ws["C45"] = "late"
    buf = io.BytesIO()
    wb.save(buf)
    found = sheet_extent.worksheets(zipfile.ZipFile(io.BytesIO(buf.getvalue())))
    assert found == {"Q3 plan": sheet_extent.Extent(rows=45, columns=30, cells=40 * 30 + 1)}
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_name("Q3 plan")
    grid = sheet.to_python(skip_empty_area=False)
    assert (len(grid), len(grid[0])) == (45, 30)  # what the parser allocates


def test_cells_and_rows_without_references_follow_the_previous_one() -> None:
    data = minimal_xlsx([b"<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>",
                         b"<row><c><v>4</v></c></row>",
                         b'<row r="7"><c r="E7"><v>5</v></c><c><v>6</v></c></row>'])
    assert extent_of(data) == sheet_extent.Extent(rows=7, columns=6, cells=6)


def test_attributes_in_another_order_are_walked_not_misread() -> None:
    data = minimal_xlsx([b'<row spans="1:2" r="3"><c t="n" r="AB3"><v>1</v></c></row>'])
    assert extent_of(data) == sheet_extent.Extent(rows=3, columns=28, cells=1)


def test_a_tag_split_across_read_chunks_is_still_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_extent, "CHUNK_BYTES", 7)
    data = minimal_xlsx([f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="K{n}"><v>1</v></c></row>'.encode()
                         for n in range(1, 30)])
    assert extent_of(data) == sheet_extent.Extent(rows=29, columns=11, cells=58)


def test_each_limit_refuses_with_the_sheet_named() -> None:
    rows = [f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x{n}</t></is></c><c r="B{n}"><v>1</v></c></row>'.encode()
            for n in range(1, 11)]
    data = minimal_xlsx(rows)
    assert read_bytes(data, "t.xlsx").tables[0].data.shape == (9, 2)
    for limits, words in [(ImportLimits(max_cells=19), "holds 20 cells (10 rows)"),
                          (ImportLimits(max_rows=9), "10 rows long"),
                          (ImportLimits(max_columns=1), "2 columns wide"),
                          (ImportLimits(max_area=19), "20 cells including empty ones")]:
        with pytest.raises(ImportRefused) as err:
            read_bytes(data, "t.xlsx", limits)
        assert words in str(err.value) and "sheet 'Tracker'" in str(err.value)
