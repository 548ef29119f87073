"""Team tracker (My work) in core: grid saves, quick updates, scoping, stale items, undo."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from core.errors import EditRefused
from core.flow import queries as flow_queries
from core.importing import queries as import_queries
from core.importing.commit import undo_batch
from core.importing.service import import_file
from core.store import tables
from core.store.models import utcnow
from core.work import items as tracker
from core.work import queries as work_queries
from core.work import rows as work_rows
from core.work import saving
from tests.conftest import xlsx_bytes

NOW = datetime(2026, 3, 20, 9, 30)
TRACKER = [["Ref", "Task", "Owner", "Team", "Status", "Due", "RAG", "Notes"],
           ["OPS-001", "Patch the web servers", "Ann Lee", "Ops", "In flight", datetime(2026, 3, 10), "G", "weekly"],
           ["OPS-002", "Rotate certificates", "Ann Lee", "Ops", "Not started", datetime(2026, 4, 1), "A", None],
           ["OPS-003", "Retire old VPN", "Bo Chen", "Ops", "Done", datetime(2026, 2, 1), "G", None],
           ["OPS-004", "Fix backup alerts", "Bo Chen", "Ops", "Waiting", datetime(2026, 3, 1), "R", None],
           ["DEV-001", "Ship the login page", "Cy Dunn", "Dev", "In flight", datetime(2026, 3, 30), "G", None]]
OBJECTIVES = [["Code", "Objective"], ["O1", "Keep the lights on"], ["O2", "Ship faster"]]


def load(engine, rows=TRACKER) -> None:
    import_file(engine, xlsx_bytes({"Objectives": OBJECTIVES}), "strategy.xlsx")
    import_file(engine, xlsx_bytes({"Tracker": rows}), "ops_tracker.xlsx")


def team_id(engine, name: str) -> int:
    return int(work_queries.tracker_teams_frame(engine).set_index("name").at[name, "id"])


def count(engine, table: str, where: str = "1=1") -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"select count(*) from {table} where {where}")).scalar_one())


def grid(engine, team: str) -> pd.DataFrame:
    return work_rows.grid_frame(work_queries.tracker_items_frame(engine, team_id(engine, team)))


def item(engine, key: str) -> pd.Series:
    with engine.connect() as conn:
        return tables.read_table(conn, "workitem", tables.T["workitem"].c.external_key == key).iloc[0]


def edit(frame: pd.DataFrame, key: str, **values) -> pd.DataFrame:
    out = frame.copy()
    for column, value in values.items():
        out.loc[out["external_key"] == key, column] = value
    return out


def test_an_in_app_status_change_makes_one_status_event_one_audit_entry_and_bumps_the_version(engine) -> None:
    load(engine)
    original = grid(engine, "Ops")
    events, audits, version = count(engine, "statusevent"), count(engine, "auditevent"), tables.data_version(engine)
    result = tracker.save_items(engine, team_id(engine, "Ops"), original, edit(original, "OPS-002", status="blocked"),
                                "Ann Lee", now=NOW)
    assert (result.updated, result.inserted, result.status_events) == (1, 0, 1)
    assert count(engine, "statusevent") == events + 1
    assert count(engine, "auditevent") == audits + 1
    assert tables.data_version(engine) == version + 1
    row = item(engine, "OPS-002")
    assert (row["status"], row["raw_status"], pd.Timestamp(row["updated_at"])) == ("blocked", "Waiting", NOW)
    with engine.connect() as conn:
        event = conn.execute(sa.text("select status, raw_status, at, batch_id from statusevent order by id desc")).first()
        audit = tables.read_table(conn, "auditevent").sort_values("id").iloc[-1]
    assert event.status == "blocked" and event.raw_status == "Waiting" and event.batch_id == result.batch_id
    assert (audit["user"], audit["action"], audit["entity"]) == ("Ann Lee", "edit", "workitem")
    assert audit["before"]["status"] == "todo" and audit["after"]["status"] == "blocked"


def test_flow_metrics_see_an_in_app_status_change(engine) -> None:
    from core.flow.report import flow_report

    load(engine)
    before = flow_report(flow_queries.work_items_frame(engine), flow_queries.status_events_frame(engine),
                         flow_queries.dependencies_frame(engine))["timeline"]
    original = grid(engine, "Ops")
    tracker.save_items(engine, team_id(engine, "Ops"), original, edit(original, "OPS-002", status="in_progress"), "Ann")
    after = flow_report(flow_queries.work_items_frame(engine), flow_queries.status_events_frame(engine),
                        flow_queries.dependencies_frame(engine))["timeline"]
    assert int(after["is_wip"].sum()) == int(before["is_wip"].sum()) + 1
    assert after.set_index("external_key").at["OPS-002", "start"] > pd.Timestamp("2026-01-01")


def test_grid_edits_new_rows_and_dependencies_in_one_batch(engine) -> None:
    load(engine)
    original = grid(engine, "Ops")
    edited = edit(original, "OPS-001", title="Patch all web servers", objective="O1", effort=3.0,
                  due_at=pd.Timestamp("2026-03-12"))
    edited = edit(edited, "OPS-004", depends_on="OPS-002; Dev")
    edited = pd.concat([edited, pd.DataFrame([{"title": "Write the runbook", "owner": "Bo Chen", "status": "todo"},
                                              {"title": None, "owner": None}])], ignore_index=True)
    result = tracker.save_items(engine, team_id(engine, "Ops"), original, edited, "Ann Lee", now=NOW)
    assert (result.updated, result.inserted, result.new_keys) == (2, 1, ["OPS-005"])  # the blank row is ignored
    one = item(engine, "OPS-001")
    assert one["title"] == "Patch all web servers" and one["effort"] == 3.0
    assert pd.Timestamp(one["due_at"]) == pd.Timestamp("2026-03-12")
    new = item(engine, "OPS-005")
    assert (new["source"], new["status"], new["raw_status"], new["created_batch_id"]) == (
        "ops_tracker", "todo", "Not started", result.batch_id)
    with engine.connect() as conn:
        deps = import_queries.dependencies_of(conn, [int(item(engine, "OPS-004")["id"])])
    assert sorted(deps["depends_on_key"]) == ["Dev", "OPS-002"]
    assert deps["depends_on_item_id"].notna().sum() == 1 and deps["depends_on_team_id"].notna().sum() == 1
    assert count(engine, "importbatch", "kind = 'edit'") == 1


def test_a_save_is_undone_exactly_from_the_import_history(engine) -> None:
    load(engine)
    checksums = tables.table_checksums(engine)
    original = grid(engine, "Ops")
    edited = pd.concat([edit(original, "OPS-002", status="done", depends_on="OPS-001"),
                        pd.DataFrame([{"title": "New", "status": "todo"}])], ignore_index=True)
    result = tracker.save_items(engine, team_id(engine, "Ops"), original, edited, "Ann", now=NOW)
    undo_batch(engine, result.batch_id, "Ann")
    after = tables.table_checksums(engine)
    for table in ("workitem", "statusevent", "dependency", "person", "team", "objective"):
        assert after[table] == checksums[table], table


def test_quick_update_moves_last_updated_and_keeps_the_note(engine) -> None:
    load(engine)
    ops = team_id(engine, "Ops")
    key_id = int(item(engine, "OPS-004")["id"])
    imported = pd.Timestamp(utcnow())  # the upload's status events are stamped now
    in_10_days, in_20_days = imported + pd.Timedelta(days=10), imported + pd.Timedelta(days=20)
    stale_before = work_rows.stale_items(work_queries.tracker_items_frame(engine, ops), in_20_days, 14)
    assert stale_before["external_key"].tolist() == ["OPS-001", "OPS-002", "OPS-004"]  # OPS-003 is done
    tracker.quick_update(engine, ops, key_id, "on_track", "Bo Chen", note="vendor replied",
                         now=in_10_days.to_pydatetime())
    row = item(engine, "OPS-004")
    assert (row["reported_rag"], row["status"]) == ("green", "in_progress")
    assert pd.Timestamp(row["updated_at"]) == in_10_days.floor("s")
    assert tracker.latest_notes(engine, [key_id])[key_id].startswith("vendor replied (Bo Chen")
    stale_after = work_rows.stale_items(work_queries.tracker_items_frame(engine, ops), in_20_days, 14)
    assert stale_after["external_key"].tolist() == ["OPS-001", "OPS-002"]
    # still on track when nothing else changes: only "last updated" moves, and that is audited too
    audits = count(engine, "auditevent")
    later = datetime(2026, 3, 27)
    tracker.quick_update(engine, ops, key_id, "on_track", "Bo Chen", now=later)
    assert pd.Timestamp(item(engine, "OPS-004")["updated_at"]) == later and count(engine, "auditevent") == audits + 1
    tracker.quick_update(engine, ops, int(item(engine, "OPS-002")["id"]), "blocked", "Ann", blocked_by="Dev", now=NOW)
    blocked = item(engine, "OPS-002")
    assert (blocked["status"], blocked["depends_on"]) == ("blocked", "Dev")
    tracker.quick_update(engine, ops, int(item(engine, "OPS-002")["id"]), "done", "Ann", now=NOW)
    assert item(engine, "OPS-002")["status"] == "done" and pd.Timestamp(item(engine, "OPS-002")["done_at"]) == NOW


def test_another_teams_items_cannot_be_edited_through_this_team(engine) -> None:
    load(engine)
    dev_item = grid(engine, "Dev")
    assert dev_item["external_key"].tolist() == ["DEV-001"]
    before = tables.table_checksums(engine)
    with pytest.raises(EditRefused, match="belongs to Dev, not Ops"):
        tracker.save_items(engine, team_id(engine, "Ops"), dev_item, edit(dev_item, "DEV-001", status="done"), "Ann")
    with pytest.raises(EditRefused, match="belongs to Dev"):
        tracker.quick_update(engine, team_id(engine, "Ops"), int(dev_item["id"].iloc[0]), "done", "Ann")
    assert tables.table_checksums(engine) == before


@pytest.mark.parametrize("column, value, message", [
    ("owner", "Nobody Known", "there is no person 'Nobody Known'"),
    ("objective", "O9", "there is no objective 'O9'"),
    ("effort", -2.0, "is not a number of zero or more"),
    ("title", "  ", "a title is needed"),
    ("status", None, "choose a status"),
])
def test_a_bad_cell_is_refused_with_its_row_and_column_and_nothing_is_written(engine, column, value, message) -> None:
    load(engine)
    original = grid(engine, "Ops")
    before = tables.table_checksums(engine)
    with pytest.raises(EditRefused, match=message) as err:
        tracker.save_items(engine, team_id(engine, "Ops"), original, edit(original, "OPS-001", **{column: value}), "A")
    assert "item OPS-001" in str(err.value) and f"column '{column}'" in str(err.value)
    assert tables.table_checksums(engine) == before


def test_an_objective_typed_by_its_title_is_saved_as_that_objective(engine) -> None:
    """The import accepts an objective's code or title; My work resolves it the same way (core.strategy.resolve)."""
    load(engine)
    ops = team_id(engine, "Ops")
    original = grid(engine, "Ops")
    result = tracker.save_items(engine, ops, original, edit(original, "OPS-001", objective="ship  FASTER"), "Ann")
    assert result.updated == 1
    assert grid(engine, "Ops").set_index("external_key").at["OPS-001", "objective"] == "O2"
    again = grid(engine, "Ops")  # a code still wins, in any case
    tracker.save_items(engine, ops, again, edit(again, "OPS-001", objective="o1"), "Ann")
    assert grid(engine, "Ops").set_index("external_key").at["OPS-001", "objective"] == "O1"


def test_a_cell_changed_by_someone_else_since_loading_is_not_overwritten(engine) -> None:
    load(engine)
    ops = team_id(engine, "Ops")
    mine = grid(engine, "Ops")
    theirs = grid(engine, "Ops")
    tracker.save_items(engine, ops, theirs, edit(theirs, "OPS-001", status="blocked"), "Bo")
    with pytest.raises(EditRefused, match="someone changed OPS-001 status"):
        tracker.save_items(engine, ops, mine, edit(mine, "OPS-001", status="done"), "Ann")
    assert item(engine, "OPS-001")["status"] == "blocked"
    # a different cell of the same grid still saves
    tracker.save_items(engine, ops, mine, edit(mine, "OPS-002", title="Rotate all certificates"), "Ann")
    assert item(engine, "OPS-002")["title"] == "Rotate all certificates"


def test_stale_items_use_the_teams_own_threshold(engine) -> None:
    load(engine)
    ops = team_id(engine, "Ops")
    items = work_queries.tracker_items_frame(engine, ops).assign(
        updated_at=[pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-15"), pd.NaT, pd.NaT],
        last_event_at=pd.NaT, created_at=[pd.NaT, pd.NaT, pd.NaT, pd.Timestamp("2026-03-18")])
    now = pd.Timestamp(NOW)
    assert work_rows.stale_items(items, now, 14)["external_key"].tolist() == ["OPS-001"]  # OPS-003 is done
    assert work_rows.stale_items(items, now, 3)["external_key"].tolist() == ["OPS-001", "OPS-002"]
    tracker.set_stale_days(engine, ops, 3, "Ann")
    assert work_queries.tracker_teams_frame(engine).set_index("id").at[ops, "stale_days"] == 3
    with pytest.raises(EditRefused):
        tracker.set_stale_days(engine, ops, 0, "Ann")


def test_views_filter_mine_overdue_blocked(engine) -> None:
    load(engine)
    items = work_queries.tracker_items_frame(engine, team_id(engine, "Ops"))
    now = pd.Timestamp(NOW)
    keys = lambda view: work_rows.view_items(items, view, "Ann Lee", now, 14)["external_key"].tolist()  # noqa: E731
    assert keys("mine") == ["OPS-001", "OPS-002"]
    assert keys("overdue") == ["OPS-001", "OPS-004"]
    assert keys("blocked") == ["OPS-004"]
    assert keys("team") == ["OPS-001", "OPS-002", "OPS-003", "OPS-004"]


@pytest.mark.parametrize("existing, n, team, expected", [
    (["CHG-001", "CHG-009", "X7"], 2, "", ["CHG-010", "CHG-011"]),
    (["INC0010001", "INC0010002"], 1, "", ["INC0010003"]),
    ([], 2, "Service Desk", ["SD-1", "SD-2"]),
    (["Alpha", "Beta"], 1, "", ["TL-1"]),
])
def test_next_keys_look_like_the_trackers_own(existing, n, team, expected) -> None:
    assert saving.next_keys(existing, n, team) == expected
