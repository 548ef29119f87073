"""Import and history pages under AppTest, driven through file_uploader like a manager would."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.store import tables
from tests.conftest import SERVICENOW, csv_bytes, plain

PAGES = Path(__file__).resolve().parents[2] / "pages"



def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / name), default_timeout=120)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at = page("import.py").run()
    assert not at.exception
    at.file_uploader[0].upload(name, data, mime).run()
    assert not at.exception
    return at


def test_servicenow_upload_preview_commit_history_undo(db_env: str, engine) -> None:
    before = tables.table_counts(engine)
    at = upload(SERVICENOW.name, SERVICENOW.read_bytes())
    assert any(s.value == "Recognised: ServiceNow incident export" for s in at.success)
    button(at, "Preview changes").click().run()
    assert not at.exception
    assert metrics(at) == {"New": "890", "Updated": "0", "Unchanged": "0", "Rejected": "0"}
    assert tables.table_counts(engine)["workitem"] == 0  # preview wrote nothing
    button(at, "Commit import").click().run()
    assert not at.exception
    assert any("890 new" in s.value for s in at.success)
    assert tables.table_counts(engine)["workitem"] == 890

    history = page("history.py").run()
    assert not history.exception
    table = history.dataframe[0].value
    assert table["File"].tolist() == [SERVICENOW.name] and table["New"].tolist() == [890]
    history.checkbox[0].check()
    history.button[0].click().run()
    assert not history.exception
    after = tables.table_counts(engine)
    assert {k: after[k] for k in ("workitem", "statusevent", "person", "team")} == {
        k: before[k] for k in ("workitem", "statusevent", "person", "team")}
    assert history.dataframe[0].value["State"].tolist() == ["undone"]


def test_bad_date_row_is_shown_with_row_and_column_and_the_rest_commits(db_env: str, engine) -> None:
    data = csv_bytes([["Ref", "Task", "Due"], ["A-1", "Write", "15/01/2026"], ["A-2", "Test", "31/02/2026"],
                      ["A-3", "Ship", "20/01/2026"]])
    at = upload("tracker.csv", data)
    button(at, "Preview changes").click().run()
    assert metrics(at)["New"] == "2" and metrics(at)["Rejected"] == "1"
    problems = at.dataframe[-1].value
    row = problems[problems["Severity"] == "rejected"].iloc[0]
    assert (row["File"], row["Row"], row["Column"], row["Value"]) == ("tracker.csv", 3, "Due", "31/02/2026")
    assert any(b.label == "Download rejected rows (xlsx)" for b in at.get("download_button"))
    button(at, "Commit import").click().run()
    with engine.connect() as conn:
        keys = [r[0] for r in conn.execute(sa.text("select external_key from workitem order by 1"))]
    assert keys == ["A-1", "A-3"]


def test_renamed_pdf_gives_a_clear_error_and_changes_nothing(db_env: str, engine) -> None:
    before = tables.table_checksums(engine)
    at = upload("budget.xlsx", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "application/vnd.ms-excel")
    assert [plain(e.value) for e in at.error] == [
        "file 'budget.xlsx': this is a PDF document, not a spreadsheet. Upload an .xlsx or .csv file."]
    assert tables.table_checksums(engine) == before


def test_second_upload_of_the_same_file_previews_nothing_new(db_env: str, engine) -> None:
    data = csv_bytes([["Ref", "Task", "Status"], ["A-1", "Write", "Done"], ["A-2", "Test", "WIP"]])
    at = upload("t.csv", data)
    button(at, "Preview changes").click().run()
    button(at, "Commit import").click().run()
    again = upload("t.csv", data)
    button(again, "Preview changes").click().run()
    assert metrics(again) == {"New": "0", "Updated": "0", "Unchanged": "2", "Rejected": "0"}


def test_ambiguous_dates_ask_for_the_order_before_preview(db_env: str, engine) -> None:
    at = upload("amb.csv", csv_bytes([["Ref", "Task", "Due"], ["A-1", "x", "03/04/2026"]]))
    button(at, "Preview changes").click().run()
    assert any("day-first" in plain(e.value) for e in at.error)
    at.radio[0].set_value("mdy").run()
    button(at, "Preview changes").click().run()
    assert metrics(at)["New"] == "1"


BAD = Path(__file__).resolve().parents[1] / "fixtures" / "bad"


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_bad_files_get_a_named_message_never_a_traceback(db_env: str, engine, name: str) -> None:
    """The page shows what the engine decides for each bad file (tests/test_bad_files.py checks those decisions)."""
    from core.errors import ThroughlineError
    from core.importing.service import import_file

    try:
        expected = import_file(engine, (BAD / name).read_bytes(), name, user="t", dry_run=True)
    except ThroughlineError:
        expected = None
    before = tables.table_checksums(engine)
    at = upload(name, (BAD / name).read_bytes(), "application/octet-stream")
    if any(b.label == "Preview changes" and not b.disabled for b in at.button):
        button(at, "Preview changes").click().run()
    assert not at.exception
    messages = [plain(e.value) for e in at.error]
    if expected is not None:
        shown = metrics(at)
        assert not messages and shown["New"] == f"{expected.inserted:,}" and int(shown["New"]) >= 1
        assert shown["Rejected"] == f"{expected.rejected:,}"
        if name == "nul_bytes.csv":
            assert any("NUL characters were removed" in plain(c.value) for c in at.caption)
    else:
        assert messages and all(name in m for m in messages), messages
    assert tables.table_checksums(engine) == before


def test_sheets_can_be_left_out_and_kind_and_header_row_overridden(db_env: str, engine) -> None:
    from tests.conftest import xlsx_bytes

    data = xlsx_bytes({"People": [["Name", "Team"], ["Ann Lee", "Ops"]],
                       "Tasks": [["Report", "Q3"], ["Ref", "Task", "Owner"], ["T-1", "Plan", "Ann Lee"],
                                 ["T-2", "Do", "Ann Lee"]]})
    at = upload("book.xlsx", data, "application/octet-stream")
    overview = at.dataframe[0].value
    assert overview[["Sheet", "Rows", "Header row"]].values.tolist() == [["People", 1, 1], ["Tasks", 3, 1]]
    # the title row of "Tasks" was taken for the header: point at row 2 instead
    [c for c in at.number_input if c.label == "Header row"][1].set_value(2).run()
    assert at.dataframe[0].value["Header row"].tolist() == [1, 2]
    [c for c in at.checkbox if c.label == "Import this sheet"][0].uncheck().run()
    button(at, "Preview changes").click().run()
    assert metrics(at)["New"] == "2"
    button(at, "Commit import").click().run()
    assert tables.table_counts(engine)["workitem"] == 2
    assert tables.table_counts(engine)["person"] == 1  # created as the tasks' owner, not from the People sheet

    people = upload("list.csv", csv_bytes([["Name", "Team"], ["Bob Hale", "Ops"], ["Cy Dunn", "Ops"]]))
    kind = [s for s in people.selectbox if s.label == "Kind"][0]
    assert kind.value == "people"
    kind.set_value("work_items").run()
    button(people, "Preview changes").click().run()
    assert not people.exception and metrics(people)["New"] == "2"
    button(people, "Commit import").click().run()
    with engine.connect() as conn:
        titles = [r[0] for r in conn.execute(sa.text("select title from workitem where source='list' order by 1"))]
    assert titles == ["Bob Hale", "Cy Dunn"]


def test_a_hidden_sheet_is_skipped_and_can_be_included(db_env: str, engine) -> None:
    at = upload("hidden_sheets.xlsx", (BAD / "hidden_sheets.xlsx").read_bytes(), "application/octet-stream")
    sheets = at.dataframe[0].value["Sheet"].tolist()
    assert sheets == ["Tasks"]
    assert any("'Salary review' is hidden" in plain(c.value) for c in at.caption)
    choice = at.multiselect(key=next(k for k in (w.key for w in at.multiselect) if k.startswith("aside:")))
    assert set(choice.options) == {"Salary review", "Calc"}
    choice.set_value(["Salary review"]).run()
    assert not at.exception
    assert at.dataframe[0].value["Sheet"].tolist() == ["Tasks", "Salary review"]


UNKNOWN_WORDS = csv_bytes([["Ref", "Task", "Status", "Due"], ["A-1", "Write", "Zorgle", "15/01/2026"],
                           ["A-2", "Test", "Wibble", "31/02/2026"], ["A-3", "Ship", "Done", "20/01/2026"]])


def status_map(at: AppTest):
    return next(d for d in at.data_editor if d.key and d.key.startswith("vm:"))


def test_the_unmapped_banner_and_the_plan_follow_the_values_just_mapped(db_env: str, engine) -> None:
    at = upload("tracker.csv", UNKNOWN_WORDS)
    assert any(plain(w.value).startswith("Unmapped: Zorgle, Wibble") for w in at.warning)
    button(at, "Preview changes").click().run()
    assert any("Zorgle" in m for m in at.dataframe[-1].value["Message"])  # the plan names the unknown word
    at.session_state[status_map(at).key] = {"edited_rows": {0: {"Maps to": "todo"}, 1: {"Maps to": "blocked"}},
                                            "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    shown = " ".join([plain(w.value) for w in at.warning] + [plain(i.value) for i in at.info]
                     + [m for d in at.dataframe if "Message" in d.value for m in d.value["Message"]])
    assert "Zorgle" not in shown and "Wibble" not in shown, shown  # nothing still calls them unmapped
    assert not metrics(at) and button(at, "Commit import").disabled  # the old plan is gone: preview again
    config = json.loads(status_map(at).proto.columns)
    assert config.get("Unmapped", {}).get("hidden") is True  # the first guess, stale once a value is chosen
    button(at, "Preview changes").click().run()
    assert metrics(at) == {"New": "2", "Updated": "0", "Unchanged": "0", "Rejected": "1"}
    assert not any("Zorgle" in m for m in at.dataframe[-1].value["Message"])


def test_the_problems_message_column_is_wide(db_env: str, engine) -> None:
    at = upload("tracker.csv", UNKNOWN_WORDS)
    button(at, "Preview changes").click().run()
    problems = at.dataframe[-1]
    assert "Message" in problems.value
    assert json.loads(problems.proto.columns)["Message"]["width"] == "large"


def test_the_first_rows_show_every_column_under_the_files_headers(db_env: str, engine) -> None:
    at = upload("tracker.csv", UNKNOWN_WORDS)
    at.toggle(key=next(t.key for t in at.toggle if t.label == "Show the first rows")).set_value(True).run()
    assert not at.exception
    first = next(d.value for d in at.dataframe if list(d.value.columns) == ["Ref", "Task", "Status", "Due"])
    assert first.loc[2].tolist() == ["A-1", "Write", "Zorgle", "15/01/2026"]  # numbered as Excel numbers rows
