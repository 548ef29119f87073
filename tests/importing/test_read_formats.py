"""read: HTML-as-.xls, SpreadsheetML, JSON, encodings, broken CSV quoting, line endings, record-counting guards,
hidden and non-table sheets, messy rows (totals, footers, repeated and two-row headers), invisible characters."""
from __future__ import annotations

import io
import zipfile

import pytest

from core.config import ImportLimits, load_settings
from core.errors import ImportRefused
from core.importing.read import read_bytes
from tests.conftest import REALDATA, csv_bytes, xlsx_bytes

HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>
<table border="1"><tr><td colspan="4">JIRA</td></tr><tr><td colspan="4"><b>2</b> Vorgänge angezeigt.</td></tr></table>
<table id="issuetable"><thead><tr><th>Schlüssel</th><th>Zusammenfassung</th><th>Aufwand</th><th>Erstellt</th></tr>
</thead><tbody>
<tr><td>  PRJ-7 </td><td>Erste&nbsp;Zeile<br/>zweite   Zeile</td><td>1,5</td><td>30/Nov/16</td></tr>
<tr><td>PRJ-8</td><td>Kurz</td><td>007</td><td>01/Dez/16</td></tr>
</tbody></table></body></html>"""


def test_an_html_table_saved_as_xls_is_read_as_text_and_the_issue_table_is_chosen() -> None:
    result = read_bytes(HTML.encode(), "export.xls")
    assert result.file_format == "html"
    (table,) = result.tables
    assert table.headers == ["Schlüssel", "Zusammenfassung", "Aufwand", "Erstellt"]
    assert table.data["Schlüssel"].tolist() == ["PRJ-7", "PRJ-8"]
    assert table.data.iloc[0]["Zusammenfassung"] == "Erste Zeile\nzweite Zeile"
    assert table.data["Aufwand"].tolist() == ["1,5", "007"]  # text as shown, not numbers


@pytest.mark.skipif(not (REALDATA / "jira_server_de_html.xls").exists(), reason="realdata not present")
def test_the_real_jira_server_html_export_is_one_table_of_51_issues() -> None:
    result = read_bytes((REALDATA / "jira_server_de_html.xls").read_bytes(), "jira_server_de_html.xls")
    (table,) = result.tables
    assert table.data.shape == (51, 48)
    assert {"Schlüssel", "Zusammenfassung", "Bearbeiter", "Erstellt"} <= set(table.headers)


SPREADSHEETML = b"""<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:x="urn:schemas-microsoft-com:office:excel">
 <Worksheet ss:Name="Tasks"><Table>
  <Row><Cell><Data ss:Type="String">Ref</Data></Cell><Cell><Data ss:Type="String">Task</Data></Cell>
       <Cell><Data ss:Type="String">Effort</Data></Cell><Cell><Data ss:Type="String">Due</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">A-1</Data></Cell><Cell><Data ss:Type="String">Write</Data></Cell>
       <Cell><Data ss:Type="Number">3.5</Data></Cell><Cell><Data ss:Type="DateTime">2026-03-01T00:00:00.000</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">A-2</Data></Cell><Cell ss:Index="4"><Data ss:Type="DateTime">2026-04-01T00:00:00.000</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="Salaries"><Table><Row><Cell><Data ss:Type="String">Name</Data></Cell>
  <Cell><Data ss:Type="String">Salary</Data></Cell></Row><Row><Cell><Data ss:Type="String">Ann</Data></Cell>
  <Cell><Data ss:Type="Number">1</Data></Cell></Row></Table>
  <x:WorksheetOptions><x:Visible>SheetHidden</x:Visible></x:WorksheetOptions></Worksheet>
</Workbook>"""


def test_spreadsheetml_2003_is_read_with_types_gaps_and_hidden_sheets_skipped() -> None:
    result = read_bytes(SPREADSHEETML, "tasks.xls")
    assert result.file_format == "spreadsheetml"
    (table,) = result.tables
    assert table.sheet == "Tasks" and table.headers == ["Ref", "Task", "Effort", "Due"]
    assert table.data.iloc[0]["Effort"] == 3.5 and table.data.iloc[0]["Due"].year == 2026
    assert table.data.iloc[1]["Task"] is None and table.data.iloc[1]["Due"].month == 4  # ss:Index skipped a gap
    assert any("'Salaries' is hidden" in n for n in result.notes)
    assert [t.sheet for t in result.set_aside] == ["Salaries"]
    both = read_bytes(SPREADSHEETML, "tasks.xls", include_hidden={"Salaries"})
    assert [t.sheet for t in both.tables] == ["Tasks", "Salaries"]


def test_json_named_csv_is_read_as_records_or_named() -> None:
    data = b'{"issues": [{"key": "A-1", "fields": {"summary": "Write"}}, {"key": "A-2", "fields": {"summary": "Test"}}]}'
    table = read_bytes(data, "export.csv").tables[0]
    assert table.headers == ["key", "fields.summary"] and table.data["key"].tolist() == ["A-1", "A-2"]
    with pytest.raises(ImportRefused, match="JSON file, not a table"):
        read_bytes(b'{"total": 3, "name": "x"}', "export.csv")


def test_utf16le_without_bom_is_decoded() -> None:
    data = "Номер;Тема\nR-1;Проверка\n".encode("utf-16-le")
    result = read_bytes(data, "t.csv")
    assert result.encoding == "utf-16-le" and result.tables[0].headers == ["Номер", "Тема"]


def test_cp1251_is_told_from_cp1252_by_its_words() -> None:
    ru = read_bytes("Номер;Тема;Статус\n1;Проверка входа;Новая\n".encode("cp1251"), "ru.csv")
    assert ru.encoding == "cp1251" and ru.tables[0].headers == ["Номер", "Тема", "Статус"]
    de = read_bytes("Schlüssel;Größe\nA-1;groß €\n".encode("cp1252"), "de.csv")
    assert de.encoding == "cp1252" and de.tables[0].data.iloc[0].tolist() == ["A-1", "groß €"]


@pytest.mark.skipif(not REALDATA.exists(), reason="realdata not present")
def test_real_cp1251_and_latin1_exports_decode() -> None:
    mantis = read_bytes((REALDATA / "mantis_ru_cp1251.csv").read_bytes(), "mantis_ru_cp1251.csv")
    assert mantis.encoding == "cp1251" and mantis.tables[0].headers[0] == "Номер"
    redmine = read_bytes((REALDATA / "redmine_ru_cp1251.csv").read_bytes(), "redmine_ru_cp1251.csv")
    assert redmine.tables[0].headers[1:4] == ["Проект", "Трекер", "Статус"]
    lupa = read_bytes((REALDATA / "jira_sd_lupapiste_latin1.csv").read_bytes(), "lupa.csv")
    text = " ".join(lupa.tables[0].data["title"].head(200))
    assert "ä" in text and "Ã" not in text


def test_an_unclosed_quote_names_its_line_and_the_rows_after_it_are_read() -> None:
    data = b'Ref,Task,Due\nA-1,"Write,15/01/2026\nA-2,Test,16/01/2026\nA-3,Ship,17/01/2026\n'
    result = read_bytes(data, "t.csv")
    table = result.tables[0]
    assert table.data["Ref"].tolist() == ["A-2", "A-3"]
    assert [n for n, _ in table.unreadable] == [2] and "quote" in table.unreadable[0][1]
    assert list(table.row_numbers) == [3, 4]
    assert any("line 2" in n for n in result.notes)


def test_a_quote_that_closes_rows_later_does_not_glue_the_rows_between() -> None:
    data = b'Ref,Task,Due\nA-1,"Write,15/01/2026\nA-2,Test,16/01/2026\nA-3,"Ship",17/01/2026\nA-4,Plan,18/01/2026\n'
    table = read_bytes(data, "t.csv").tables[0]
    assert table.data["Ref"].tolist() == ["A-2", "A-3", "A-4"] and table.data.iloc[1]["Task"] == "Ship"
    assert [n for n, _ in table.unreadable] == [2]


def test_records_with_too_many_or_misaligned_cells_are_named_and_a_quoted_line_is_rescued() -> None:
    data = (b'Ref,Task,Owner,Due\nA-1,Write,Ann,1/1/2026\nA-2,Test,Bo,x,y\nA-3,Ship,\n'
            b'"A-4,Plan,Cy,2/2/2026"\nA-5,Close\n')
    table = read_bytes(data, "t.csv").tables[0]
    assert table.data["Ref"].tolist() == ["A-1", "A-4", "A-5"]
    assert table.data.iloc[1]["Owner"] == "Cy" and table.data.iloc[2]["Owner"] == ""
    assert [n for n, _ in table.unreadable] == [3, 4]
    assert "5 cells where the header has 4" in table.unreadable[0][1]


@pytest.mark.skipif(not REALDATA.exists(), reason="realdata not present")
def test_the_real_mantis_export_names_the_records_it_cannot_read() -> None:
    table = read_bytes((REALDATA / "mantis_ru_cp1251.csv").read_bytes(), "mantis_ru_cp1251.csv").tables[0]
    assert [n for n, _ in table.unreadable] == [2, 3, 4]
    assert table.data.shape == (7, 19) and list(table.row_numbers) == [5, 6, 7, 8, 9, 10, 11]
    assert table.data["Номер"].tolist()[:3] == ["0001831", "0001830", "0001829"]


@pytest.mark.parametrize("ending", [b"\r", b"mixed"])
def test_bare_cr_and_mixed_line_endings(ending: bytes) -> None:
    lines = [b"Ref,Task", b"A-1,Write", b'A-2,"two\nlines"', b"A-3,Ship"]
    data = b"\r".join(lines) if ending == b"\r" else lines[0] + b"\r" + lines[1] + b"\r\n" + lines[2] + b"\n" + lines[3]
    result = read_bytes(data, "mac.csv")
    assert result.tables[0].data["Ref"].tolist() == ["A-1", "A-2", "A-3"]
    assert any("line endings" in n for n in result.notes)


def test_the_row_guard_counts_records_not_lines() -> None:
    rows = [["Key", "Summary", "Description"]] + [[f"P-{n}", f"Issue {n}", "a\nb\nc\nd\ne"] for n in range(598)]
    data = csv_bytes(rows)
    assert data.count(b"\n") > 2_900
    table = read_bytes(data, "jira.csv", ImportLimits(max_rows=1_000, max_cells=3_000)).tables[0]
    assert len(table.data) == 598
    with pytest.raises(ImportRefused) as err:
        read_bytes(data, "jira.csv", ImportLimits(max_rows=500))
    assert "599 rows (" in str(err.value) and "THROUGHLINE_MAX_ROWS" in str(err.value)


def test_one_column_limit_for_csv_and_xlsx_naming_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = [[f"H{i}" for i in range(30)], [str(i) for i in range(30)]]
    for data, name in [(csv_bytes(wide), "wide.csv"), (xlsx_bytes({"S": wide}), "wide.xlsx")]:
        with pytest.raises(ImportRefused) as err:
            read_bytes(data, name, ImportLimits(max_columns=20))
        assert "30 columns wide" in str(err.value) and "THROUGHLINE_MAX_COLUMNS" in str(err.value)
    monkeypatch.setenv("THROUGHLINE_MAX_COLUMNS", "3000")
    assert load_settings().limits.max_columns == 3000
    assert ImportLimits().max_cells >= 120_000 * 36  # the full ServiceNow log at default settings


def _corrupt_deflate(data: bytes, member: str) -> bytes:
    """Overwrite the middle of one member's compressed bytes (its local header stays valid)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    out = bytearray(data)
    for i in range(start + 2, start + min(info.compress_size - 2, 40)):
        out[i] ^= 0x5A
    return bytes(out)


def test_a_corrupt_deflate_stream_is_named_with_what_to_do() -> None:
    good = xlsx_bytes({"S": [["Ref", "Task"]] + [[f"A-{n}", f"Task number {n}"] for n in range(200)]})
    with pytest.raises(ImportRefused) as err:
        read_bytes(_corrupt_deflate(good, "xl/worksheets/sheet1.xml"), "broken.xlsx")
    message = str(err.value)
    assert "broken.xlsx" in message and "corrupt" in message and "repair" in message
    assert "Error -3" not in message and "zlib" not in message




TASKS = [["Ref", "Task", "Status", "Owner"], ["A-1", "Write", "Open", "Ann"], ["A-2", "Test", "Done", "Bo"],
         ["A-3", "Ship", "Open", "Ann"]]


def test_hidden_and_very_hidden_sheets_are_skipped_unless_included() -> None:
    data = xlsx_bytes({"Tasks": TASKS, "Pay": [["Name", "Salary review"], ["Ann", 3]], "Calc": [["k", "v"], ["a", 1]]},
                      states={"Pay": "hidden", "Calc": "veryHidden"})
    result = read_bytes(data, "w.xlsx")
    assert [t.sheet for t in result.tables] == ["Tasks"]
    assert {t.sheet: t.hidden for t in result.set_aside} == {"Pay": "hidden", "Calc": "very hidden"}
    assert any("'Pay' is hidden" in n for n in result.notes) and any("'Calc' is very hidden" in n for n in result.notes)
    assert [t.sheet for t in read_bytes(data, "w.xlsx", include_hidden={"Pay"}).tables] == ["Tasks", "Pay"]


def test_notes_and_lookup_sheets_never_block_the_table() -> None:
    notes = [["How to use this workbook"], ["Fill in one row per task on the Tasks sheet."], ["Ask Ann for help."]]
    lookup = [["Status", "Meaning"], ["Open", "not started"], ["Done", "finished"], ["Blocked", "waiting"]]
    result = read_bytes(xlsx_bytes({"Read me": notes, "Tasks": TASKS, "Statuses": lookup}), "w.xlsx")
    assert [t.sheet for t in result.tables] == ["Tasks"]
    reasons = {t.sheet: t.not_a_table for t in result.set_aside}
    assert "not a table" in reasons["Read me"] and "lookup list" in reasons["Statuses"]
    kept = read_bytes(xlsx_bytes({"Tasks": TASKS, "Statuses": lookup}), "w.xlsx", as_tables={"Statuses"})
    assert [t.sheet for t in kept.tables] == ["Tasks", "Statuses"]


@pytest.mark.skipif(not (REALDATA / "risk_register_xyz.xlsx").exists(), reason="realdata not present")
def test_the_real_risk_register_header_row_7_totals_footer_and_lookups() -> None:
    result = read_bytes((REALDATA / "risk_register_xyz.xlsx").read_bytes(), "risk_register_xyz.xlsx")
    (table,) = result.tables
    assert table.sheet == "Risk Register" and table.header_row == 7
    assert table.data["Risk ID"].tolist() == [1, 2, 3, 4, 5]
    assert "Likelihood (Residual Risk)" in table.headers and "Responsibiliy" in table.headers
    assert set(table.dropped) == {13, 50}
    assert len(result.set_aside) == 3


@pytest.mark.parametrize("word", ["TOTAL", "Total", "Sum", "Gesamt", "Summe", "Totaal", "TOTAL / 3 tasks"])
def test_totals_rows_are_left_out_with_a_note(word: str) -> None:
    rows = [["Ref", "Task", "Effort", "Cost"], ["A-1", "Write", 2, 10], ["A-2", "Test", 3, 20], [word, None, 5, 30],
            ["A-3", "Ship", 1, 5]]
    result = read_bytes(xlsx_bytes({"Plan": rows}), "p.xlsx")
    table = result.tables[0]
    assert table.data["Ref"].tolist() == ["A-1", "A-2", "A-3"] and 4 in table.dropped
    assert any("Sheet 'Plan'" in n and "totals row" in n and "row 4" in n for n in result.notes)


def test_a_task_whose_title_starts_with_total_is_kept() -> None:
    rows = [["Ref", "Task", "Effort"], ["A-1", "Total cost review", 2], ["A-2", "Test", 3]]
    assert len(read_bytes(csv_bytes(rows), "t.csv").tables[0].data) == 2


def test_repeated_header_rows_footer_text_and_a_sum_row() -> None:
    rows = [["Ref", "Task", "Owner", "Effort"], ["A-1", "Write", "Ann", 2], ["A-2", "Test", "Bo", 3],
            ["Ref", "Task", "Owner", "Effort"], ["A-3", "Ship", "Cy", 4], [None, None, None, 9], [],
            ["Exported from the team tracker on 1 March 2026 by the PMO."]]
    result = read_bytes(xlsx_bytes({"T": rows}), "t.xlsx")
    table = result.tables[0]
    assert table.data["Ref"].tolist() == ["A-1", "A-2", "A-3"]
    assert set(table.dropped) == {4, 6, 8}
    text = " ".join(result.notes).lower()
    assert "repeated header row" in text and "footer text" in text and "totals row" in text


def test_a_two_row_merged_header_is_combined() -> None:
    rows = [[None, None, "Planned", None, "Actual", None], ["Ref", "Task", "Start", "End", "Start", "End"],
            ["A-1", "Write", "1/1", "2/1", "1/1", "3/1"]]
    result = read_bytes(xlsx_bytes({"P": rows}, merges={"P": ["C1:D1", "E1:F1"]}), "p.xlsx")
    assert result.tables[0].headers == ["Ref", "Task", "Start (Planned)", "End (Planned)", "Start (Actual)",
                                        "End (Actual)"]
    assert any("two-row header" in n for n in result.notes)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_zero_width_and_bidi_characters_are_stripped(kind: str) -> None:
    rows = [["Ref\u200b", "Task"], ["A-1\u200b", "Write"], ["\u202eA-2", "Te\ufeffst\u2066"], ["A-3", "Ship"]]
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes({"S": rows})
    result = read_bytes(data, f"t.{kind}")
    table = result.tables[0]
    assert table.headers == ["Ref", "Task"] and table.data["Ref"].tolist() == ["A-1", "A-2", "A-3"]
    assert table.data.iloc[1]["Task"] == "Test"
    assert any("zero-width" in n.lower() for n in result.notes)
