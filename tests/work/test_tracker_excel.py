"""Round trip with Excel: export in the team's layout, re-import (edited with openpyxl, as Excel saves it), conflicts."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from core.errors import EditRefused
from core.importing.commit import undo_batch
from core.importing.service import ImportOptions, import_file
from core.reporting.export_safety import (
    SheetSpec,
    is_formula_like,
    neutralise,
    write_xlsx,
)
from core.store import tables
from core.work import excel
from core.work import items as tracker
from core.work import queries as work_queries
from core.work import rows as work_rows
from core.work.excel import export_items, layout_of, reimport
from tests.work.test_tracker import TRACKER, count, grid, item, load, team_id

SOURCE = "ops_tracker"


def as_excel_saves(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """Open the workbook with openpyxl, let ``edit(ws, headers)`` change it, save it again."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    edit(ws, [c.value for c in ws[1]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row_of(ws, key: str) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == key)


def test_the_export_keeps_the_teams_layout_and_is_formatted(engine) -> None:
    load(engine)
    ex = export_items(engine, team_id(engine, "Ops"), SOURCE, "Ann")
    wb = openpyxl.load_workbook(io.BytesIO(ex.data))
    ws = wb.active
    assert ws.title == "Tracker" and ex.file_name == "ops_tracker.xlsx" and ex.rows == 4
    assert [c.value for c in ws[1]] == TRACKER[0]  # the team's own column names, in its order (Notes kept)
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold and ws.auto_filter.ref == "A1:H5"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width > 8
    assert ws.cell(2, 6).value == datetime(2026, 3, 10) and ws.cell(2, 6).number_format == "yyyy-mm-dd"
    assert [ws.cell(r, 5).value for r in range(2, 6)] == ["In flight", "Not started", "Done", "Waiting"]
    assert ws.cell(2, 8).value == "weekly"
    with engine.connect() as conn:
        assert tables.read_table(conn, "auditevent")["action"].tolist()[-1] == "export"


def test_an_untouched_export_reimports_with_zero_changes(engine) -> None:
    load(engine)
    ops = team_id(engine, "Ops")
    original = grid(engine, "Ops")  # in-app edits first: they must survive the round trip
    edited = work_rows.grid_frame(work_queries.tracker_items_frame(engine, ops))
    edited.loc[edited["external_key"] == "OPS-002", ["status", "objective", "effort"]] = ["blocked", "O1", 5.0]
    tracker.save_items(engine, ops, original, pd.concat([edited, pd.DataFrame([{"title": "=1+2 formula-like"}])]),
                       "Ann")
    ex = export_items(engine, ops, SOURCE, "Ann")
    assert ex.protected >= 2  # Objective and Effort are not in the team's layout; the formula-safe title
    before = tables.table_checksums(engine)
    result = reimport(engine, as_excel_saves(ex.data, lambda ws, h: None), ex.file_name, ops, SOURCE, "Ann",
                      dry_run=False).result
    assert (result.inserted, result.updated, result.rejected, result.status_events) == (0, 0, 0, 0)
    assert result.unchanged == 5 and result.conflicts == []
    after = tables.table_checksums(engine)
    assert after["workitem"] != before["workitem"]  # only the row hashes of the re-read rows moved
    for table in ("statusevent", "dependency", "person", "team"):
        assert after[table] == before[table]
    row = item(engine, "OPS-002")
    assert (row["status"], row["effort"]) == ("blocked", 5.0)
    assert item(engine, "OPS-005")["title"] == "=1+2 formula-like"


def test_the_sample_trackers_round_trip_with_zero_changes(engine) -> None:
    from core.sample import load_sample

    load_sample(engine)
    teams = work_queries.tracker_teams_frame(engine).set_index("name")["id"]
    for team, source in [("Change Management", "change_programme_tracker"), ("Marketing", "marketing_campaign_tasks"),
                         ("Infrastructure", "infrastructure_migration_plan"), ("Service Desk", "service_desk_tickets")]:
        ex = export_items(engine, int(teams[team]), source, "tester")
        r = reimport(engine, ex.data, ex.file_name, int(teams[team]), source, "tester", dry_run=True)
        assert (r.result.inserted, r.result.updated, r.result.rejected, len(r.missing)) == (0, 0, 0, 0), source
        assert r.result.unchanged == ex.rows, source


def test_an_edited_export_updates_exactly_the_edited_cells_inserts_new_rows_and_lists_deleted_ones(engine) -> None:
    load(engine)
    ops = team_id(engine, "Ops")
    ex = export_items(engine, ops, SOURCE, "Ann")

    def edit(ws, headers):  # type: ignore[no-untyped-def]
        col = {h: i + 1 for i, h in enumerate(headers)}
        ws.cell(row_of(ws, "OPS-001"), col["Status"]).value = "Done"
        ws.cell(row_of(ws, "OPS-002"), col["Due"]).value = datetime(2026, 4, 15)
        ws.cell(row_of(ws, "OPS-002"), col["Task"]).value = "Rotate all certificates"
        ws.append(["OPS-010", "New from Excel", "Bo Chen", "Ops", "Not started", datetime(2026, 5, 1), None, None])
        ws.append([None, "No key given", "Bo Chen", "Ops", "Not started", None, None, None])
        ws.delete_rows(row_of(ws, "OPS-003"))

    data = as_excel_saves(ex.data, edit)
    preview = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=True)
    changes = {(c["key"].split(" / ")[-1], c["field"]): (c["before"], c["after"]) for c in preview.result.sheets[0].changes}
    assert changes == {("OPS-001", "raw_status"): ("In flight", "Done"), ("OPS-001", "status"): ("in_progress", "done"),
                       ("OPS-002", "due_at"): ("2026-04-01 00:00:00", "2026-04-15 00:00:00"),
                       ("OPS-002", "title"): ("Rotate certificates", "Rotate all certificates")}
    assert (preview.result.inserted, preview.result.updated, preview.result.unchanged) == (2, 2, 1)
    assert preview.filled_keys == ["OPS-011"]
    assert preview.missing["external_key"].tolist() == ["OPS-003"]
    assert count(engine, "workitem") == 5  # a preview writes nothing

    done = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False)  # "leave them"
    assert done.closed is None and count(engine, "workitem") == 7
    assert item(engine, "OPS-003")["status"] == "done"  # it was done already; still there, never deleted
    assert item(engine, "OPS-011")["title"] == "No key given"


def test_rows_deleted_from_the_file_are_closed_only_when_the_user_says_so(engine) -> None:
    load(engine)
    ops = team_id(engine, "Ops")
    ex = export_items(engine, ops, SOURCE, "Ann")
    data = as_excel_saves(ex.data, lambda ws, h: ws.delete_rows(row_of(ws, "OPS-002")))
    left = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False)
    assert left.missing["external_key"].tolist() == ["OPS-002"] and item(engine, "OPS-002")["status"] == "todo"
    closed = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False, close_missing=True)
    assert closed.closed is not None and closed.closed.updated == 1
    assert item(engine, "OPS-002")["status"] == "done" and count(engine, "workitem") == 5
    notes = tracker.latest_notes(engine, [int(item(engine, "OPS-002")["id"])])
    assert next(iter(notes.values())).startswith("closed: no longer in ops_tracker.xlsx")


def closing_setup(engine):  # type: ignore[no-untyped-def]
    """Export; in Excel OPS-001 is set to Done and OPS-002's row is deleted (so it is 'no longer in the file')."""
    load(engine)
    ops = team_id(engine, "Ops")
    ex = export_items(engine, ops, SOURCE, "Ann")

    def edit(ws, headers):  # type: ignore[no-untyped-def]
        ws.cell(row_of(ws, "OPS-001"), headers.index("Status") + 1).value = "Done"
        ws.delete_rows(row_of(ws, "OPS-002"))

    return ops, ex, as_excel_saves(ex.data, edit)


def test_a_refused_close_leaves_the_import_unwritten_too(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import and the closing of missing rows commit together or not at all."""
    ops, ex, data = closing_setup(engine)
    dev_item = int(item(engine, "DEV-001")["id"])
    real_close = excel.close_items

    def close_with_another_teams_item(engine, team_id, item_ids, actor, note=None, now=None):  # type: ignore[no-untyped-def]
        return real_close(engine, team_id, [*item_ids, dev_item], actor, note=note, now=now)  # refused: Dev's

    monkeypatch.setattr(excel, "close_items", close_with_another_teams_item)
    before = tables.table_checksums(engine)
    with pytest.raises(EditRefused, match="belongs to Dev, not Ops"):
        reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False, close_missing=True)
    assert tables.table_checksums(engine) == before  # the import's rows, events, batch and audit are gone too
    assert (item(engine, "OPS-001")["status"], item(engine, "OPS-002")["status"]) == ("in_progress", "todo")


def test_one_undo_of_the_import_also_reopens_the_rows_it_closed(engine) -> None:
    ops, ex, data = closing_setup(engine)
    before = tables.table_checksums(engine)
    done = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False, close_missing=True)
    assert done.closed is not None and done.closed.updated == 1 and done.result.updated == 1
    assert (item(engine, "OPS-001")["status"], item(engine, "OPS-002")["status"]) == ("done", "done")
    [import_batch] = done.result.batch_ids
    assert sorted(undo_batch(engine, import_batch, "Ann")) == sorted([import_batch, done.closed.batch_id])
    after = tables.table_checksums(engine)
    for table in ("workitem", "statusevent", "dependency", "person", "team", "objective"):
        assert after[table] == before[table], table
    assert (item(engine, "OPS-001")["status"], item(engine, "OPS-002")["status"]) == ("in_progress", "todo")


def conflict_setup(engine):  # type: ignore[no-untyped-def]
    """Export; then the app sets OPS-001 blocked while the file says Done for it."""
    load(engine)
    ops = team_id(engine, "Ops")
    ex = export_items(engine, ops, SOURCE, "Ann")
    original = grid(engine, "Ops")
    tracker.save_items(engine, ops, original, original.assign(
        status=original["status"].where(original["external_key"] != "OPS-001", "blocked")), "Bo")

    def edit(ws, headers):  # type: ignore[no-untyped-def]
        ws.cell(row_of(ws, "OPS-001"), headers.index("Status") + 1).value = "Done"
        ws.cell(row_of(ws, "OPS-002"), headers.index("Task") + 1).value = "Rotate all certificates"

    return ops, ex, as_excel_saves(ex.data, edit)


def test_an_upload_over_an_in_app_edit_is_a_conflict_and_keeping_the_app_value_works(engine) -> None:
    ops, ex, data = conflict_setup(engine)
    preview = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=True)
    [conflict] = preview.result.conflicts
    assert (conflict["key"], conflict["field"], conflict["app"], conflict["file"], conflict["before"],
            conflict["edited_by"]) == ("OPS-001", "Status", "blocked", "done", "in_progress", "Bo")
    assert {c["field"] for c in preview.result.sheets[0].changes} == {"title"}  # nothing overwritten silently
    key = (conflict["source"], conflict["key"], conflict["column"])
    result = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False, resolutions={key: "app"}).result
    assert item(engine, "OPS-001")["status"] == "blocked" and result.updated == 1
    again = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=True).result
    assert again.conflicts == [] and again.updated == 0  # the same file never asks twice
    with engine.connect() as conn:
        audit = tables.read_table(conn, "auditevent")
    assert "kept the app's value" in audit[audit["action"] == "conflict_resolved"]["detail"].iloc[0]


def test_an_upload_over_an_in_app_edit_can_take_the_files_value(engine) -> None:
    ops, ex, data = conflict_setup(engine)
    preview = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=True)
    key = next((c["source"], c["key"], c["column"]) for c in preview.result.conflicts)
    events = count(engine, "statusevent")
    result = reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=False, resolutions={key: "file"}).result
    row = item(engine, "OPS-001")
    assert (row["status"], row["raw_status"], result.updated) == ("done", "Done", 2)
    assert count(engine, "statusevent") == events + 1 and result.conflicts == []


def test_an_undecided_conflict_keeps_the_app_value_and_asks_again(engine) -> None:
    ops, ex, data = conflict_setup(engine)
    result = import_file(engine, data, ex.file_name, ImportOptions(source=SOURCE))  # e.g. the CLI
    assert item(engine, "OPS-001")["status"] == "blocked" and len(result.conflicts) == 1
    assert len(reimport(engine, data, ex.file_name, ops, SOURCE, "Ann", dry_run=True).result.conflicts) == 1


def test_the_teams_own_file_does_not_undo_an_in_app_edit_it_never_touched(engine) -> None:
    """A shadow spreadsheet uploaded again (another cell of the row changed): the app's status stays, no conflict."""
    load(engine)
    ops = team_id(engine, "Ops")
    original = grid(engine, "Ops")
    tracker.save_items(engine, ops, original, original.assign(
        status=original["status"].where(original["external_key"] != "OPS-002", "in_progress")), "Ann")
    rows = [list(r) for r in TRACKER]
    rows[2][5] = datetime(2026, 4, 20)  # OPS-002's due date changed in the team's own file; its status did not
    result = import_file(engine, _xlsx(rows), "ops_tracker.xlsx")
    assert result.conflicts == [] and result.updated == 1
    row = item(engine, "OPS-002")
    assert row["status"] == "in_progress" and pd.Timestamp(row["due_at"]) == pd.Timestamp("2026-04-20")
    assert any("Kept 1 value(s) set in the app" in n and "Status" in n for n in result.notes)


def test_a_tracker_born_in_the_app_exports_a_clean_default_layout(engine) -> None:
    import_file(engine, _xlsx([["Name", "Team"], ["Ann Lee", "Platform"]]), "people.xlsx")
    platform = team_id(engine, "Platform")
    result = tracker.save_items(engine, platform, work_rows.grid_frame(work_queries.tracker_items_frame(engine, platform)),
                                pd.DataFrame([{"title": "First task", "owner": "Ann Lee", "status": "in_progress"}]),
                                "Ann")
    assert result.new_keys == ["P-1"]
    ex = export_items(engine, platform, "Platform tracker", "Ann")
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(ex.data)).active[1]]
    assert headers == ["Key", "Title", "Owner", "Team", "Status", "RAG", "Objective", "Due", "Effort", "Depends on",
                       "Last updated"]
    r = reimport(engine, ex.data, ex.file_name, platform, "Platform tracker", "Ann", dry_run=True)
    assert (r.result.inserted, r.result.updated, r.result.unchanged) == (0, 0, 1)
    # the Import page files it under the same tracker too (source from the file name, columns recognised)
    assert import_file(engine, ex.data, ex.file_name, dry_run=True).updated == 0


def _xlsx(rows) -> bytes:  # type: ignore[no-untyped-def]
    from tests.conftest import xlsx_bytes

    return xlsx_bytes({"Tracker": rows})


@pytest.mark.parametrize("text, safe", [("=HYPERLINK(\"x\")", True), ("+1", True), ("-5", True), ("@SUM(A1)", True),
                                        ("\tcmd", True), ("\rcmd", True), ("plain", False), ("a=b", False)])
def test_formula_like_text_is_neutralised(text: str, safe: bool) -> None:
    assert is_formula_like(text) is safe
    assert neutralise(text) == ("'" + text if safe else text)
    ws = openpyxl.load_workbook(io.BytesIO(write_xlsx([SheetSpec("S", ["h"], [[text]])]))).active
    assert ws["A2"].data_type == "s"  # text, never a formula
    assert ws["A2"].value.replace("\n", "\r") == neutralise(text).replace("\n", "\r")  # XML reads CR back as LF


def test_layout_falls_back_to_the_default_for_an_unknown_tracker(engine) -> None:
    with engine.connect() as conn:
        assert layout_of(conn, "nothing here").headers[0] == "Key"
