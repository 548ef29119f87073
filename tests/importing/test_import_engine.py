"""The engine end to end on real exports and on trackers written in memory."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.errors import UndoRefused
from core.importing import queries as import_queries
from core.importing.commit import undo_batch
from core.importing.service import (
    ImportBlocked,
    ImportOptions,
    import_file,
    import_path,
)
from core.store import tables
from tests.conftest import BAROMETER, GMPP, SERVICENOW, csv_bytes, xlsx_bytes

DATA_TABLES = ("team", "person", "objective", "kpi", "kpireading", "incentive", "expectedeffect", "workitem",
               "statusevent", "dependency")  # batches, issues, change log and audit are history: they grow


def data_checksums(engine) -> dict[str, str]:
    sums = tables.table_checksums(engine)
    return {t: sums[t] for t in DATA_TABLES}


def scalar(engine, sql: str, **params: object):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_servicenow_event_log_imports_reimports_and_undoes(engine) -> None:
    before = data_checksums(engine)
    first = import_path(engine, SERVICENOW, user="t")
    assert first.sheets[0].profile_name == "ServiceNow incident export"
    assert (first.rows_read, first.inserted, first.rejected) == (5998, 890, 0)  # every event row read
    # 5,998 audit rows hold 3,418 real status transitions (a row that only reassigns adds none)
    assert first.status_events == 3418
    assert scalar(engine, "select count(*) from statusevent") == 3418
    assert scalar(engine, "select count(distinct team_id) from workitem where team_id is not null") > 10
    assert scalar(engine, "select status from workitem where external_key='INC0000045'") == "done"
    owner = scalar(engine, "select p.name from workitem w join person p on p.id=w.owner_id "
                           "where w.external_key='INC0000047'")
    assert owner == "Resolver 89"
    loaded = data_checksums(engine)
    again = import_path(engine, SERVICENOW, user="t")
    assert (again.inserted, again.updated, again.unchanged, again.status_events) == (0, 0, 890, 0)
    assert data_checksums(engine) == loaded
    undo_batch(engine, first.batch_ids[0], "t")
    assert data_checksums(engine) == before


def test_gmpp_projects_with_sro_and_ipa_ratings(engine) -> None:
    result = import_path(engine, GMPP, user="t")
    assert (result.inserted, result.rejected) == (235, 0)
    assert scalar(engine, "select count(*) from workitem where item_type='project'") == 235
    assert scalar(engine, "select count(*) from workitem where reported_rag is not null") > 50
    assert scalar(engine, "select count(*) from workitem where assessed_rag is not null") > 50
    # exemption text in a RAG column: no rating, text kept
    notes = scalar(engine, "select count(*) from workitem where rag_note like 'Exempt%'")
    assert notes > 0
    assert scalar(engine, "select count(*) from workitem w join team t on t.id=w.team_id where t.name='MOD'") > 10


def test_barometer_scorecard_objectives_kpis_readings_and_duplicates(engine) -> None:
    result = import_path(engine, BAROMETER, user="t")
    sheet = result.sheets[0]
    assert sheet.kind == "scorecard"
    assert scalar(engine, "select count(*) from objective") == 43
    assert scalar(engine, "select count(*) from kpi") == 57
    assert sheet.details["kpi_readings"]["inserted"] == scalar(engine, "select count(*) from kpireading") >= 57
    repeat = [i for i in result.issues if "duplicate key" in i.message]
    conflict = [i for i in result.issues if "conflict on key" in i.message]
    assert [(i.row, i.value, i.severity) for i in repeat] == [(48, "nb-labellisations-france-services", "warning")]
    assert [(i.row, i.value, i.severity) for i in conflict] == [(54, "nb-logement-accompagnement", "error")]
    assert "rows 47 and 48 are identical" in repeat[0].message and "rows 53 and 54" in conflict[0].message
    assert scalar(engine, "select direction from kpi where code='tx-gs-rep'") == "higher"
    assert scalar(engine, "select count(*) from kpi where objective_id is null") == 0
    stored = scalar(engine, "select count(*) from importissue where severity = 'error' and raw is not null")
    assert stored == 1  # the rejected row is kept with its original values


TRACKER = [["Ref", "Task", "Owner", "Status", "Due", "RAG", "Depends on"],
           ["CHG-1", "Write templates", "Priya Shah", "Done", "15/01/2026", "G", ""],
           ["CHG-2", "Set up CAB", "priya  shah", "WIP", "20/02/2026", "A", "CHG-1"],
           ["CHG-3", "Train desk", "Marcus Reid", "Not started", "30/03/2026", "", "CHG-2, CHG-1"]]


def test_tracker_update_records_before_after_status_event_and_undo(engine) -> None:
    first = import_file(engine, csv_bytes(TRACKER), "change_tracker.csv", user="t")
    assert first.inserted == 3 and first.status_events == 3
    assert scalar(engine, "select count(*) from person") == 2  # name variants differing by case/space match
    assert scalar(engine, "select count(*) from dependency where depends_on_item_id is not null") == 3
    snapshot = data_checksums(engine)
    edited = [row[:] for row in TRACKER]
    edited[2][3] = "Blocked"
    edited.append(["CHG-4", "Retire old form", "Marcus Reid", "To do", "01/04/2026", "R", ""])
    second = import_file(engine, csv_bytes(edited), "change_tracker.csv", user="t")
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 2)
    assert second.sheets[0].changes == [{"key": "change_tracker / CHG-2", "field": "raw_status", "before": "WIP",
                                         "after": "Blocked"},
                                        {"key": "change_tracker / CHG-2", "field": "status", "before": "in_progress",
                                         "after": "blocked"}]
    assert second.status_events == 2  # CHG-2's new status and CHG-4's first
    undo_batch(engine, second.batch_ids[0], "t")
    assert data_checksums(engine) == snapshot


def test_undo_refused_when_a_later_batch_changed_the_rows(engine) -> None:
    first = import_file(engine, csv_bytes(TRACKER), "tracker.csv", user="t")
    edited = [row[:] for row in TRACKER]
    edited[1][1] = "Write the templates"
    second = import_file(engine, csv_bytes(edited), "tracker.csv", user="t")
    with pytest.raises(UndoRefused, match=f"#{second.batch_ids[0]}"):
        undo_batch(engine, first.batch_ids[0], "t")
    undo_batch(engine, second.batch_ids[0], "t")
    undo_batch(engine, first.batch_ids[0], "t")
    assert scalar(engine, "select count(*) from workitem") == 0
    with pytest.raises(UndoRefused, match="already undone"):
        undo_batch(engine, first.batch_ids[0], "t")


def test_undo_refused_when_a_later_batch_uses_created_people(engine) -> None:
    people = import_file(engine, csv_bytes([["Name", "Team"], ["Ann Lee", "Ops"]]), "people.csv", user="t")
    import_file(engine, csv_bytes([["Ref", "Task", "Owner"], ["T1", "x", "Ann Lee"]]), "t.csv", user="t")
    with pytest.raises(UndoRefused):
        undo_batch(engine, people.batch_ids[0], "t")


def test_strategy_workbook_in_one_transaction_in_dependency_order(engine) -> None:
    data = xlsx_bytes({
        "KPIs": [["Code", "KPI", "Unit", "Direction", "Baseline", "Target", "Tolerance", "Owner", "Objective"],
                 ["K-MTTR", "Mean time to resolve", "hours", "lower is better", 10, 6, 1, "Marcus Reid", "O1"]],
        "Objectives": [["Code", "Objective", "Description", "Parent", "Owner", "Period", "Weight"],
                       ["P1", "Modernise ITSM", "", "", "Helen Carter", "FY2026", 1],
                       ["O1", "Resolve incidents faster", "", "P1", "Helen Carter", "FY2026", 0.5],
                       ["O2", "Shared goal", "", "P1", "Tom Becker; Lena Novak", "FY2026", 0.5]],
        "People": [["Name", "Email", "Team", "Role"], ["Helen Carter", "h@x", "Executive", "CIO"],
                   ["Marcus Reid", "m@x", "Service Desk", "Manager"]],
        "Incentives": [["Team", "KPI", "Weight"], ["Service Desk", "K-MTTR", 0.5]],
        "Expected effects": [["Objective", "KPI", "Effect", "Note"], ["O1", "K-MTTR", "down", "faster"]],
    })
    result = import_file(engine, data, "strategy.xlsx", user="t")
    assert [s.kind for s in result.sheets] == ["people", "objectives", "kpis", "incentives", "expected_effects"]
    assert result.rejected == 0
    assert scalar(engine, "select p.code from objective o join objective p on p.id=o.parent_id where o.code='O1'") == "P1"
    assert scalar(engine, "select owner_id is null from objective where code='O2'") == 1
    assert any("2 owners" in i.message for i in result.issues)
    assert scalar(engine, "select t.name from incentive i join team t on t.id=i.team_id") == "Service Desk"
    assert scalar(engine, "select direction from kpi") == "lower"
    # undo of one sheet undoes the whole workbook, which was committed together
    assert sorted(undo_batch(engine, result.batch_ids[2], "t")) == sorted(result.batch_ids)
    assert scalar(engine, "select count(*) from objective") == 0 and scalar(engine, "select count(*) from person") == 0


def test_dry_run_and_blocking_and_strict_write_nothing(engine) -> None:
    before = tables.table_checksums(engine)
    dry = import_file(engine, csv_bytes(TRACKER), "t.csv", user="t", dry_run=True)
    assert dry.inserted == 3 and not dry.committed
    ambiguous = csv_bytes([["Ref", "Task", "Due"], ["A", "x", "03/04/2026"]])
    with pytest.raises(ImportBlocked, match="day-first"):
        import_file(engine, ambiguous, "a.csv", user="t")
    bad = csv_bytes([["Ref", "Task", "Due"], ["A", "x", "13/04/2026"], ["B", "y", "not a date"]])
    with pytest.raises(ImportBlocked, match="--strict"):
        import_file(engine, bad, "b.csv", ImportOptions(strict=True), user="t")
    assert tables.table_checksums(engine) == before
    chosen = import_file(engine, ambiguous, "a.csv", ImportOptions(date_orders={"Due": "mdy"}), user="t")
    assert chosen.inserted == 1
    assert str(scalar(engine, "select due_at from workitem"))[:10] == "2026-03-04"


def test_event_log_reimport_with_new_rows_adds_only_new_events(engine) -> None:
    header = ["number", "incident_state", "sys_updated_at", "opened_at", "assignment_group", "assigned_to"]
    rows = [header, ["INC1", "New", "01-03-2016 10:00", "01-03-2016 09:00", "G1", "?"],
            ["INC1", "Active", "13-03-2016 11:00", "01-03-2016 09:00", "G1", "Ann"]]
    import_file(engine, csv_bytes(rows), "sn.csv", user="t")
    more = rows + [["INC1", "Resolved", "14-03-2016 08:00", "01-03-2016 09:00", "G1", "Ann"]]
    second = import_file(engine, csv_bytes(more), "sn.csv", user="t")
    assert (second.updated, second.status_events) == (1, 1)
    assert scalar(engine, "select count(*) from statusevent") == 3


def test_excel_serial_dates_in_a_text_typed_workbook(engine) -> None:
    data = xlsx_bytes({"T": [["Ref", "Task", "Due"], ["A", "x", 46023], ["B", "y", 46054]]})
    import_file(engine, data, "serial.xlsx", user="t")
    assert str(scalar(engine, "select due_at from workitem where external_key='A'"))[:10] == "2026-01-01"


def test_jira_export_named_month_dates_repeated_headers_and_links(engine) -> None:
    rows = [["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Assignee", "Created", "Updated", "Resolved",
             "Component/s", "Component/s", "Inward issue link (Blocks)"],
            ["Login fails", "ABC-1", "10001", "Bug", "Done", "Ann Lee", "30/Jul/18 23:33", "02/Aug/18 10:00",
             "02/Aug/18 10:00", "UI", "API", ""],
            ["New login page", "ABC-2", "10002", "Story", "In Progress", "Bob Hale", "1/Aug/18 9:05 AM",
             "03/Aug/18 11:00", "", "UI", "", "ABC-1"]]
    result = import_file(engine, csv_bytes(rows), "jira.csv", user="t")
    sheet = result.sheets[0]
    assert sheet.profile_name == "Jira CSV export" and result.inserted == 2 and result.rejected == 0
    assert sheet.date_formats["Created"] == "day month-name year"
    assert str(scalar(engine, "select created_at from workitem where external_key='ABC-1'"))[:16] == "2018-07-30 23:33"
    assert scalar(engine, "select item_type from workitem where external_key='ABC-2'") == "Story"
    import json
    raw = scalar(engine, "select attributes from workitem where external_key='ABC-1'")
    attrs = raw if isinstance(raw, dict) else json.loads(raw)  # PostgreSQL's driver decodes JSON itself
    assert attrs["Component/s"] == ["UI", "API"]
    assert scalar(engine, "select count(*) from dependency d join workitem w on w.id=d.depends_on_item_id "
                          "where w.external_key='ABC-1'") == 1


def test_saved_profile_is_recognised_on_the_next_upload(engine) -> None:
    import_queries.save_profile(engine, {"name": "Facilities log", "kind": "work_items", "headers": ["Job", "Descr", "Tech"],
                               "mapping": {"external_key": "Job", "title": "Descr", "owner": "Tech"},
                               "value_maps": {"status": {"parked": "blocked"}}, "options": {}}, user="t")
    rows = [["Job", "Descr", "Tech", "State"], ["J1", "Fix door", "Sam", "parked"]]
    result = import_file(engine, csv_bytes(rows), "facilities.csv", user="t")
    assert result.sheets[0].profile_name == "Facilities log"
    assert scalar(engine, "select p.name from workitem w join person p on p.id=w.owner_id") == "Sam"


def test_identical_reimport_skips_the_diff_only_while_nothing_changed(engine) -> None:
    rows = [r[:] + ["O7" if r[0] == "CHG-4" else ("Objective" if r[0] == "Ref" else "")] for r in
            TRACKER + [["CHG-4", "Link to goal", "Ann Lee", "To do", "01/04/2026", "", ""]]]
    data = csv_bytes(rows)
    first = import_file(engine, data, "t.csv", user="t")
    assert any("objective 'O7' is not known" in i.message for i in first.issues)
    again = import_file(engine, data, "t.csv", user="t")
    assert (again.unchanged, again.rejected, again.updated) == (4, 0, 0)
    assert [i.message for i in again.issues] == [i.message for i in first.issues]  # same report as the first time
    # a new objective changes what the same file means: the full diff runs and links the row
    import_file(engine, csv_bytes([["Code", "Objective"], ["O7", "Goal seven"]]), "objectives.csv", user="t")
    linked = import_file(engine, data, "t.csv", user="t")
    assert (linked.updated, linked.unchanged) == (1, 3)
    assert scalar(engine, "select o.code from workitem w join objective o on o.id=w.objective_id") == "O7"
    # undo of that update restores the earlier state, where the identical file changes nothing again
    undo_batch(engine, linked.batch_ids[0], "t")
    assert scalar(engine, "select count(*) from workitem where objective_id is not null") == 0


def test_depends_on_a_team_name_links_the_team(engine) -> None:
    import_file(engine, csv_bytes([["Name", "Team"], ["Lena Novak", "Data Platform"]]), "people.csv", user="t")
    import_file(engine, csv_bytes([["Ref", "Task", "Depends on"], ["T-1", "Cut over", "data platform"]]), "t.csv",
                user="t")
    assert scalar(engine, "select t.name from dependency d join team t on t.id=d.depends_on_team_id") == "Data Platform"
