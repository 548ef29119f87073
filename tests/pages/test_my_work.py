"""My work under AppTest: grid edits, quick updates, stale items, the Excel round trip, conflicts on the Import page."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.sample import load_sample
from core.store import tables
from core.work import items as tracker
from core.work import queries as work_queries
from core.work import rows as work_rows
from core.work.excel import export_items
from tests.conftest import plain

ROOT = Path(__file__).resolve().parents[2]
MY_WORK = str(ROOT / "pages" / "my_work.py")
IMPORT = str(ROOT / "pages" / "import.py")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_page(me: str = "Priya Shah", team: str | None = None) -> AppTest:
    at = AppTest.from_file(MY_WORK, default_timeout=120).run()
    assert not at.exception
    at.selectbox(key="me").select(me).run()
    if team:
        at.selectbox(key="my_team").select(team).run()
    assert not at.exception
    return at


def item(engine, key: str) -> pd.Series:
    with engine.connect() as conn:
        return tables.read_table(conn, "workitem", tables.T["workitem"].c.external_key == key).iloc[0]


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"select count(*) from {table}")).scalar_one())


def team_ids(engine, team: str) -> set[int]:
    tid = int(work_queries.tracker_teams_frame(engine).set_index("name").at[team, "id"])
    return set(work_queries.tracker_items_frame(engine, tid)["id"].astype(int))


def test_the_grid_is_scoped_to_the_chosen_team(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    assert at.selectbox(key="my_team").value == "Change Management"  # my own team by default
    shown = set(at.data_editor[0].value["id"].astype(int))
    assert shown == team_ids(engine, "Change Management") and len(shown) == 20
    at.selectbox(key="my_team").select("Marketing").run()
    assert not at.exception
    shown = set(at.data_editor[0].value["id"].astype(int))
    assert shown == team_ids(engine, "Marketing") and not shown & team_ids(engine, "Change Management")
    at.radio(key="grid_view").set_value("blocked").run()
    assert set(at.data_editor[0].value["status"]) <= {"blocked"}


def signed_in(monkeypatch: pytest.MonkeyPatch, role: str, team: str | None, engine) -> AppTest:
    """The page as an account sees it (local accounts; the session already signed in)."""
    from core.accounts.auth import Viewer
    from core.store.models import utcnow

    monkeypatch.setenv("THROUGHLINE_AUTH", "local")
    team_id = int(work_queries.tracker_teams_frame(engine).set_index("name").at[team, "id"]) if team else None
    at = AppTest.from_file(MY_WORK, default_timeout=120)
    from tests.helpers.accounts import account_for

    at.session_state["viewer"] = account_for(engine, Viewer(f"{role}-account", role, team, team_id,
                                                            scope_own_team=True))
    at.session_state["signed_in_at"] = utcnow()
    return at.run()


def test_a_manager_sees_and_edits_only_their_own_team(db_env: str, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    load_sample(engine)
    at = signed_in(monkeypatch, "manager", "Marketing", engine)
    assert not at.exception
    assert at.selectbox(key="my_team").options == ["Marketing"]
    assert set(at.data_editor[0].value["id"].astype(int)) == team_ids(engine, "Marketing")
    assert not at.button(key="save_grid").disabled
    at.session_state[at.data_editor[0].key] = {"edited_rows": {0: {"status": "blocked"}}, "added_rows": [],
                                               "deleted_rows": []}
    at.button(key="save_grid").click().run()
    assert not at.exception
    with engine.connect() as conn:
        assert conn.execute(sa.text("select \"user\" from auditevent order by id desc")).scalar() == "manager-account"


def mine(engine, name: str) -> set[int]:
    items = work_queries.tracker_items_frame(engine, 1)
    return set(items.loc[items["owner"].eq(name), "id"].astype(int))


def test_me_is_the_accounts_person_through_an_alias_and_stays_after_save(db_env: str, engine,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from core.accounts.auth import Viewer
    from core.people.merges import merge_people
    from tests.people.test_people_merges import person_id

    load_sample(engine)
    merge_people(engine, person_id(engine, "Priya Shah"), [person_id(engine, "P. Shah"),
                                                         person_id(engine, "Shah, Priya")], Viewer("ada", "admin"))
    at = signed_in_as(monkeypatch, engine, "P. Shah")  # the account's display name is a merged alias
    assert not at.exception
    assert at.selectbox(key="me").value == "Priya Shah"
    at.radio(key="grid_view").set_value("mine").run()
    shown = set(at.data_editor[0].value["id"].astype(int))
    assert shown == mine(engine, "Priya Shah") and len(shown) == 20  # her own items and the alias's, merged
    at.session_state[at.data_editor[0].key] = {"edited_rows": {0: {"status": "blocked"}}, "added_rows": [],
                                               "deleted_rows": []}
    at.button(key="save_grid").click().run()
    assert not at.exception and at.success
    assert at.selectbox(key="me").value == "Priya Shah" and at.radio(key="grid_view").value == "mine"
    assert set(at.data_editor[0].value["id"].astype(int)) == shown
    at.run()
    assert at.selectbox(key="me").value == "Priya Shah"


def test_me_is_found_from_a_display_name_written_another_way(db_env: str, engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    load_sample(engine)
    at = signed_in_as(monkeypatch, engine, "G. Lee")  # no person of that name: core.people's identity rules
    assert not at.exception
    assert at.selectbox(key="me").value == "Grace Lee"


def signed_in_as(monkeypatch: pytest.MonkeyPatch, engine, display_name: str) -> AppTest:
    """An admin account whose display name is ``display_name`` (sessions re-read it from the account)."""
    from core.accounts.auth import Viewer
    from core.store.models import utcnow
    from tests.helpers.accounts import account_for

    monkeypatch.setenv("THROUGHLINE_AUTH", "local")
    at = AppTest.from_file(MY_WORK, default_timeout=120)
    at.session_state["viewer"] = account_for(engine, Viewer("me-account", "admin", person=display_name))
    at.session_state["signed_in_at"] = utcnow()
    return at.run()


def test_an_executive_reads_but_cannot_change(db_env: str, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    load_sample(engine)
    at = signed_in(monkeypatch, "executive", None, engine)
    assert not at.exception
    assert len(at.selectbox(key="my_team").options) == len(work_queries.tracker_teams_frame(engine))
    assert at.button(key="save_grid").disabled and at.button(key="export").disabled
    assert any("can read this page but not change anything" in plain(c.value) for c in at.caption)


def test_a_grid_edit_and_a_new_row_are_saved_with_one_event_and_one_audit_entry_each(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    grid = at.data_editor[0]
    row = grid.value.reset_index(drop=True)
    pos = int(row.index[row["external_key"] == "CHG-008"][0])
    events, audits = count(engine, "statusevent"), count(engine, "auditevent")
    at.session_state[grid.key] = {"edited_rows": {pos: {"status": "in_progress"}},
                                  "added_rows": [{"title": "Draft the CAB calendar", "owner": "Priya Shah"}],
                                  "deleted_rows": []}
    at.button(key="save_grid").click().run()
    assert not at.exception
    assert [plain(s.value) for s in at.success] == ["Saved: 1 added (new: CHG-041), 1 changed, 2 status change(s) "
                                             f"recorded (batch {item(engine, 'CHG-041')['created_batch_id']})."]
    assert item(engine, "CHG-008")["status"] == "in_progress" and item(engine, "CHG-041")["status"] == "todo"
    assert count(engine, "statusevent") == events + 2 and count(engine, "auditevent") == audits + 2
    with engine.connect() as conn:
        assert conn.execute(sa.text("select \"user\" from auditevent order by id desc")).scalar() == "Priya Shah"


def test_a_bad_cell_is_a_message_not_a_traceback(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    at.session_state[at.data_editor[0].key] = {"edited_rows": {0: {"title": ""}}, "added_rows": [], "deleted_rows": []}
    at.button(key="save_grid").click().run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == ["My work, item CHG-001, column 'title': a title is needed."]


def test_quick_update_with_a_note(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    open_mine = work_queries.tracker_items_frame(engine, 1)
    target = open_mine[open_mine["owner"].eq("Priya Shah") & open_mine["status"].ne("done")].iloc[0]
    at.text_input(key="quick_note").input("CAB moved to Thursday")
    at.button(key=f"q:at_risk:{target['id']}").click().run()
    assert not at.exception
    assert plain(at.success[0].value) == f"{target['external_key']}: at risk, last updated now."
    row = item(engine, target["external_key"])
    assert row["reported_rag"] == "amber" and pd.notna(row["updated_at"])
    assert any("CAB moved to Thursday (Priya Shah" in plain(m.value) for m in at.markdown)


def test_stale_items_for_me_and_the_manager_and_the_teams_threshold(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    at.number_input(key="stale_days").set_value(1).run()
    at.button(key="save_stale").click().run()
    assert not at.exception
    assert work_queries.tracker_teams_frame(engine).set_index("name").at["Change Management", "stale_days"] == 1
    assert "stale after 1 days" in plain(at.success[0].value)
    assert any(plain(m.value).startswith("**Yours** (Priya Shah)") for m in at.markdown)


def test_the_excel_round_trip_on_the_page_with_a_conflict(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    at.button(key="export").click().run()
    assert not at.exception
    labels = [plain(b.label) for b in at.download_button]
    assert any("change_programme_tracker.xlsx (20 rows)" in label for label in labels), labels
    data = export_items(engine, 1, "change_programme_tracker", "test")  # the same file, as the user saved it
    wb = openpyxl.load_workbook(io.BytesIO(data.data))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index("Status") + 1).value = "In progress"  # CHG-001 in the file
    ws.cell(3, headers.index("Task") + 1).value = "Weekly CAB, renamed in Excel"
    buf = io.BytesIO()
    wb.save(buf)
    grid = work_rows.grid_frame(work_queries.tracker_items_frame(engine, 1))  # meanwhile, in the app: CHG-001 blocked
    tracker.save_items(engine, 1, grid, grid.assign(status=grid["status"].where(grid["external_key"] != "CHG-001",
                                                                                   "blocked")), "Grace Lee")
    at.file_uploader(key="reimport_file").upload("change_programme_tracker.xlsx", buf.getvalue(), XLSX).run()
    at.button(key="reimport_preview").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"New": "0", "Updated": "1", "Unchanged": "19", "Rejected": "0"}
    conflicts = next(d for d in at.data_editor if d.key and d.key.startswith("conflicts:"))
    assert conflicts.value[["Key", "Field", "In the app", "In the file"]].values.tolist() == [
        ["CHG-001", "Status", "blocked", "in_progress"]]
    assert at.button(key="reimport_commit").disabled  # a conflict must be decided first
    at.session_state[conflicts.key] = {"edited_rows": {0: {"Keep": "the file's value"}}, "added_rows": [],
                                       "deleted_rows": []}
    at.run()
    at.button(key="reimport_commit").click().run()
    assert not at.exception
    assert plain(at.success[0].value) == "Imported change_programme_tracker.xlsx: 0 new, 2 updated, 18 unchanged."
    assert item(engine, "CHG-001")["status"] == "in_progress"
    assert item(engine, "CHG-002")["title"] == "Weekly CAB, renamed in Excel"


def open_tab(at: AppTest) -> int | None:
    """The tab the page opens on after this run (None: the tabs are not tracked, so a rerun shows the first)."""
    def walk(node):  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if proto is not None and type(proto).__name__ == "Block" and proto.WhichOneof("type") == "tab_container":
            return proto.tab_container
        for child in getattr(node, "children", {}).values():
            if (found := walk(child)) is not None:
                return found
        return None

    tabs = walk(at._tree)
    return tabs.default_tab_index if tabs is not None and tabs.id else None


def test_prepare_the_xlsx_keeps_the_excel_tab_open(db_env: str, engine) -> None:
    load_sample(engine)
    at = open_page()
    at.session_state["my_work_tab"] = "Excel round trip"  # the user opened the tab
    at.run()
    assert open_tab(at) == 3
    at.button(key="export").click().run()
    assert not at.exception
    assert open_tab(at) == 3 and at.session_state["my_work_tab"] == "Excel round trip"
    assert any("change_programme_tracker.xlsx (20 rows)" in plain(b.label) for b in at.download_button)


def test_the_import_page_shows_a_conflict_and_keeps_the_app_value_when_chosen(db_env: str, engine) -> None:
    load_sample(engine)
    ex = export_items(engine, 1, "change_programme_tracker", "test")
    wb = openpyxl.load_workbook(io.BytesIO(ex.data))
    ws = wb.active
    ws.cell(2, [c.value for c in ws[1]].index("Status") + 1).value = "In progress"
    buf = io.BytesIO()
    wb.save(buf)
    grid = work_rows.grid_frame(work_queries.tracker_items_frame(engine, 1))
    tracker.save_items(engine, 1, grid, grid.assign(status=grid["status"].where(grid["external_key"] != "CHG-001",
                                                                                   "blocked")), "Grace Lee")
    at = AppTest.from_file(IMPORT, default_timeout=120).run()
    at.file_uploader[0].upload("change_programme_tracker.xlsx", buf.getvalue(), XLSX).run()
    next(b for b in at.button if b.label == "Preview changes").click().run()
    assert not at.exception
    assert any("edited in the app" in w.value for w in at.warning)
    commit = next(b for b in at.button if b.label == "Commit import")
    assert commit.disabled
    conflicts = next(d for d in at.data_editor if d.key and d.key.startswith("conflicts:"))
    at.session_state[conflicts.key] = {"edited_rows": {0: {"Keep": "the app's value"}}, "added_rows": [],
                                       "deleted_rows": []}
    at.run()
    next(b for b in at.button if b.label == "Commit import").click().run()
    assert not at.exception
    assert item(engine, "CHG-001")["status"] == "blocked"


def test_the_page_explains_an_empty_database(db_env: str) -> None:
    at = AppTest.from_file(MY_WORK, default_timeout=60).run()
    assert not at.exception and at.info
