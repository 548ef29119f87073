"""read: format sniffing, guards, encodings, delimiters and the header row."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from core.config import ImportLimits
from core.errors import ImportRefused
from core.importing.read import read_bytes
from tests.conftest import csv_bytes, xlsx_bytes


def test_header_found_below_merged_title_rows() -> None:
    data = xlsx_bytes({"Plan": [
        ["Northbridge — Migration Plan"], ["Status as of 13/11/2026"], [],
        ["Milestone ID", "Milestone", "Owner", "Due"],
        ["MIG-01", "Network cut-over", "Tom Becker", datetime(2026, 3, 1)],
        ["MIG-02", "Data check", "Lena Novak", datetime(2026, 4, 1)],
    ]}, merges={"Plan": ["A1:D1", "A2:D2"]})
    table = read_bytes(data, "plan.xlsx").tables[0]
    assert table.header_row == 4
    assert table.headers == ["Milestone ID", "Milestone", "Owner", "Due"]
    assert list(table.row_numbers) == [5, 6]
    assert table.data.iloc[1]["Owner"] == "Lena Novak"


def test_every_sheet_is_read_and_empty_sheets_skipped() -> None:
    data = xlsx_bytes({"People": [["Name", "Team"], ["Ann", "Ops"]], "Empty": [], "KPIs": [["Code", "KPI"], ["K1", "x"]]})
    result = read_bytes(data, "s.xlsx")
    assert [t.sheet for t in result.tables] == ["People", "KPIs"]
    assert result.file_format == "xlsx"


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("utf-16", b"")])
def test_csv_encodings_are_detected(encoding: str, prefix: bytes) -> None:
    rows = [["Task", "Note"], ["Café opening", "costs 5 €"], ["Résumé", "naïve"]]
    data = prefix + csv_bytes(rows, encoding=encoding)
    result = read_bytes(data, "t.csv")
    assert result.tables[0].data.iloc[0].tolist() == ["Café opening", "costs 5 €"]
    assert result.encoding == {"utf-8": "utf-8-sig", "cp1252": "cp1252", "utf-16": "utf-16"}[encoding]


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_csv_delimiters(delimiter: str) -> None:
    data = csv_bytes([["Task ID", "Task", "Due"], ["M-1", "Launch, phase 1", "17/08/2026"], ["M-2", "Wrap", "1/9/2026"]],
                     delimiter=delimiter)
    result = read_bytes(data, "t.csv")
    assert result.delimiter == delimiter
    assert result.tables[0].data.iloc[0]["Task"] == "Launch, phase 1"


def test_duplicate_and_blank_headers_are_kept_apart() -> None:
    data = csv_bytes([["Summary", "Component/s", "Component/s", ""], ["a", "UI", "API", "x"]])
    table = read_bytes(data, "jira.csv").tables[0]
    assert table.headers == ["Summary", "Component/s", "Component/s [2]", "Column D"]


def test_embedded_newlines_in_quoted_cells() -> None:
    data = b'Key,Title\nA-1,"line one\nline two"\nA-2,plain\n'
    table = read_bytes(data, "t.csv").tables[0]
    assert table.data["Title"].tolist() == ["line one\nline two", "plain"]


@pytest.mark.parametrize("payload,word", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
])
def test_renamed_non_spreadsheets_are_named(payload: bytes, word: str) -> None:
    with pytest.raises(ImportRefused) as err:
        read_bytes(payload, "tracker.xlsx")
    assert word in str(err.value) and "tracker.xlsx" in str(err.value)


def test_empty_file() -> None:
    with pytest.raises(ImportRefused, match="empty"):
        read_bytes(b"", "empty.csv")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_zip_that_is_not_a_workbook() -> None:
    with pytest.raises(ImportRefused, match="ZIP archive"):
        read_bytes(_zip({"readme.txt": b"hello"}), "data.xlsx")


def test_zip_bomb_refused_by_ratio_before_parsing() -> None:
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\x00" * (40 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(ImportRefused, match="zip bomb"):
        read_bytes(bomb, "bomb.xlsx")


def test_zip_bomb_refused_by_total_size() -> None:
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<a/>" * (2 * 1024 * 1024)})
    with pytest.raises(ImportRefused, match="unpacks to"):
        read_bytes(bomb, "big.xlsx", ImportLimits(max_uncompressed_mb=5))


def test_xml_entity_declarations_refused() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<worksheet>&lol2;</worksheet>")
    with pytest.raises(ImportRefused, match="XML entities"):
        read_bytes(_zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": evil}), "evil.xlsx")


def test_truncated_workbook_is_named() -> None:
    good = xlsx_bytes({"S": [["Key", "Title"], ["1", "a"]]})
    with pytest.raises(ImportRefused, match="damaged or truncated"):
        read_bytes(good[: len(good) // 2], "cut.xlsx")


def test_oversize_file_refused_before_parsing() -> None:
    with pytest.raises(ImportRefused, match="above the limit"):
        read_bytes(b"a,b\n" + b"1,2\n" * 400_000, "big.csv", ImportLimits(max_file_mb=1))


def test_csv_cell_estimate_counts_columns_not_commas_inside_quotes() -> None:
    """A description full of commas must not make a narrow CSV look wide (and be refused as too big)."""
    note = '"' + ", ".join(f"step {n}" for n in range(60)) + '"'
    lines = ["ID,Title,Status,Owner,Note", f"1,Set up,Open,Ana,{note}"]
    lines += [f"{n},Task {n},Open,Ana,short" for n in range(2, 200)]
    data = "\n".join(lines).encode()
    limits = ImportLimits(max_cells=1_500)  # 200 lines × 5 columns = 1,000 cells; 65 "columns" would be 13,000
    assert read_bytes(data, "notes.csv", limits).tables[0].data.shape == (199, 5)
    with pytest.raises(ImportRefused) as err:
        read_bytes(data, "notes.csv", ImportLimits(max_cells=900))
    assert "about 1,000 cells (200 rows × 5 columns)" in str(err.value) and "notes.csv" in str(err.value)
    assert "THROUGHLINE_MAX_CELLS" in str(err.value)


def test_a_csv_with_more_lines_than_the_row_limit_is_refused_before_parsing() -> None:
    data = "\n".join(["ID,Title"] + [f"{n},Task {n}" for n in range(1, 100)]).encode()
    assert read_bytes(data, "t.csv", ImportLimits(max_rows=100)).tables[0].data.shape == (99, 2)
    with pytest.raises(ImportRefused) as err:
        read_bytes(data, "t.csv", ImportLimits(max_rows=99))
    assert "the file has 100 rows, above the limit of 99 rows" in str(err.value) and "t.csv" in str(err.value)
    assert "THROUGHLINE_MAX_ROWS" in str(err.value)
