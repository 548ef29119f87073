"""validate: typed columns, required values, duplicate keys, blocking problems, event logs."""
from __future__ import annotations

from core.importing.mapping import build_mapping
from core.importing.read import read_bytes
from core.importing.validate import validate
from tests.conftest import csv_bytes


def run(rows: list[list[object]], kind: str | None = None, **options: object):
    table = read_bytes(csv_bytes(rows), "t.csv").tables[0]
    mapping = build_mapping(table.headers, kind=kind)
    mapping.options.update(options)
    return validate(table, mapping, "t.csv")


def test_duplicate_keys_exact_repeat_once_and_a_conflict_names_both_rows() -> None:
    vs = run([["Ref", "Task", "Status"], ["A-1", "Write", "Done"], ["A-2", "Test", "WIP"],
              ["A-1", "Write", "Done"], ["a-2", "Test again", "WIP"]])
    assert len(vs.frame) == 3 and list(vs.rejected) == [False, False, True]  # the exact repeat is imported once
    repeat = next(i for i in vs.issues if "identical" in i.message)
    assert repeat.severity == "warning" and "rows 2 and 4" in repeat.message
    conflict = [i for i in vs.issues if i.severity == "error"]
    assert len(conflict) == 1 and conflict[0].row == 5
    assert "rows 3 and 5" in conflict[0].message and "Test again" in conflict[0].message


def test_required_value_missing_rejects_the_row() -> None:
    vs = run([["Code", "KPI", "Unit"], ["K1", "Lead time", "days"], ["K2", "", "%"]], kind="kpis")
    assert list(vs.rejected) == [False, True]
    issue = next(i for i in vs.issues if i.severity == "error")
    assert issue.row == 3 and issue.column == "KPI" and "empty" in issue.message


def test_bad_date_rejects_row_with_file_row_column_value() -> None:
    vs = run([["Ref", "Task", "Due"], ["A-1", "x", "15/01/2026"], ["A-2", "y", "31/02/2026"]])
    issue = next(i for i in vs.issues if i.severity == "error")
    assert (issue.row, issue.column, issue.value) == (3, "Due", "31/02/2026")
    assert vs.date_formats["Due"] == "day-first (DD/MM/YYYY)"


def test_ambiguous_date_column_is_blocking_until_an_order_is_chosen() -> None:
    rows = [["Ref", "Task", "Due"], ["A-1", "x", "03/04/2026"], ["A-2", "y", "05/06/2026"]]
    vs = run(rows)
    assert [i.column for i in vs.blocking] == ["Due"]
    chosen = run(rows, date_orders={"Due": "mdy"})
    assert not chosen.blocking and chosen.frame["due_at"].iloc[0].month == 3


def test_unknown_status_is_a_warning_not_a_rejection() -> None:
    vs = run([["Ref", "Task", "Status"], ["A-1", "x", "Parked"]])
    assert not vs.rejected.any()
    parked = next(i for i in vs.issues if "Parked" in i.message)
    assert parked.severity == "warning" and parked.row == 2
    assert vs.frame["raw_status"].iloc[0] == "Parked" and vs.frame["status"].isna().all()


def test_missing_required_column_is_blocking() -> None:
    vs = run([["Colour", "Size"], ["red", "L"]], kind="kpis")
    assert vs.blocking and "KPI" in vs.blocking[0].message


def test_unmapped_columns_become_attributes_and_repeated_headers_a_list() -> None:
    vs = run([["Issue key", "Issue id", "Summary", "Status", "Component/s", "Component/s", "Labels"],
              ["ABC-1", "10001", "Fix login", "Done", "UI", "API", ""]])
    assert vs.mapping.profile_name == "Jira CSV export"
    assert vs.frame["attributes"].iloc[0] == {"Issue id": "10001", "Component/s": ["UI", "API"]}


def test_event_log_keeps_latest_row_and_real_transitions() -> None:
    vs = run([["number", "incident_state", "sys_updated_at", "opened_at", "assignment_group", "assigned_to"],
              ["INC1", "New", "01-03-2016 10:00", "01-03-2016 09:00", "G1", "?"],
              ["INC1", "Active", "01-03-2016 11:00", "01-03-2016 09:00", "G1", "Ann"],
              ["INC1", "Active", "01-03-2016 12:00", "01-03-2016 09:00", "G2", "Bob"],
              ["INC1", "Resolved", "02-03-2016 08:00", "01-03-2016 09:00", "G2", "Bob"],
              ["INC2", "New", "13-03-2016 10:00", "13-03-2016 10:00", "G1", "?"]])
    assert len(vs.frame) == 2 and not vs.rejected.any()
    current = vs.frame.set_index("external_key")
    assert current.loc["INC1", "raw_status"] == "Resolved" and current.loc["INC1", "team"] == "G2"
    assert current.loc["INC2", "owner"] is None  # '?' means empty in ServiceNow exports
    assert vs.events["raw_status"].tolist() == ["New", "Active", "Resolved", "New"]


def test_a_wild_date_is_kept_but_warned_of_once_with_its_rows(engine) -> None:
    from core.importing.service import import_file
    from tests.conftest import xlsx_bytes

    rows = [["Key", "Title", "Status", "Due"], ["A-1", "Plan", "Open", "1900-01-01"],
            ["A-2", "Build", "Open", "2070-12-31"], ["A-3", "Ship", "Open", "2026-03-01"]]
    result = import_file(engine, xlsx_bytes({"Tasks": rows}), "plan.xlsx", user="t")
    warnings = [i for i in result.sheets[0].issues if i.severity == "warning" and "before 1990" in i.message]
    assert len(warnings) == 1 and warnings[0].column == "Due" and warnings[0].row == 2
    assert "2 date(s)" in warnings[0].message and "rows 2, 3" in warnings[0].message
    assert result.sheets[0].inserted == 3  # kept as written, not rejected
