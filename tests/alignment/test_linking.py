"""Linking work to objectives and editing the strategy, against a real database: audit, undo, all-or-nothing."""
from __future__ import annotations

import pandas as pd
import pytest

from core.alignment import queries as alignment_queries
from core.alignment.analytics import alignment_headline, hidden_work_by
from core.alignment.rules import Link, add_rule, apply_rules, link_items
from core.errors import EditRefused, UndoRefused
from core.importing.commit import undo_batch
from core.importing.service import import_path
from core.sample import load_sample
from core.store import batches, tables
from core.strategy import queries as strategy_queries
from core.strategy.editing import apply_changes, save_edits
from tests.conftest import SERVICENOW

DATA_TABLES = ("workitem", "objective", "kpi", "incentive", "expectedeffect", "person", "team", "statusevent")


def _data(engine) -> dict[str, str]:
    sums = tables.table_checksums(engine)
    return {t: sums[t] for t in DATA_TABLES}


def _audit(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return tables.read_table(conn, "auditevent")


def _servicenow_with_objective(engine) -> None:
    import_path(engine, SERVICENOW, user="t")
    apply_changes(engine, "objectives", [(1, {"code": "O1", "title": "Resolve incidents faster"})], [], [], "t")


def _expected_category(category: str) -> int:
    """Independently of the importer: incidents whose latest audit row has this category."""
    raw = pd.read_csv(SERVICENOW, dtype=str)
    return int((raw.drop_duplicates("number", keep="last")["category"] == category).sum())


def test_a_rule_on_servicenow_category_links_the_matching_incidents_and_moves_the_ratio(engine) -> None:
    _servicenow_with_objective(engine)
    items = alignment_queries.alignment_items_frame(engine)
    assert alignment_headline(items)["hidden_ratio"] == 1.0
    rule_id = add_rule(engine, "category", "equals", "Category 45", "O1", "t", source=SERVICENOW.stem)
    result = apply_rules(engine, "t")
    expected = _expected_category("Category 45")
    assert result["linked"] == expected == 204
    after = alignment_queries.alignment_items_frame(engine)
    assert alignment_headline(after)["hidden_ratio"] == pytest.approx(1 - expected / len(after))
    linked = after[after["objective"] == "O1"]
    assert set(linked["attributes"].map(lambda a: a["category"])) == {"Category 45"}
    audit = _audit(engine)
    assert (audit["action"] == "link").sum() == expected
    assert audit[audit["entity"] == "alignmentrule"]["entity_id"].tolist() == [rule_id]
    assert apply_rules(engine, "t")["linked"] == 0  # already linked: nothing to do, no empty batch kept


def test_rules_apply_on_import_and_a_reimport_changes_nothing(engine) -> None:
    apply_changes(engine, "objectives", [(1, {"code": "O1", "title": "Resolve incidents faster"})], [], [], "t")
    add_rule(engine, "team", "regex", r"^Group (70|24)$", "O1", "t")  # the profile maps assignment_group → team
    first = import_path(engine, SERVICENOW, user="t")
    items = alignment_queries.alignment_items_frame(engine)
    groups = items["team"]
    assert set(groups[items["objective"] == "O1"]) == {"Group 70", "Group 24"}
    assert first.sheets[0].details["alignment rules"]["linked"] == int(groups.isin(["Group 70", "Group 24"]).sum()) == 234
    before = _data(engine)
    again = import_path(engine, SERVICENOW, user="t")
    assert again.sheets[0].inserted == 0 and again.sheets[0].updated == 0
    assert _data(engine) == before
    undo_batch(engine, first.sheets[0].batch_id, "t")  # the links go with the items they were made on
    assert alignment_queries.alignment_items_frame(engine).empty


def test_an_edit_batch_can_be_undone_and_protects_the_import_under_it(engine) -> None:
    _servicenow_with_objective(engine)
    items = alignment_queries.alignment_items_frame(engine)
    before = _data(engine)
    result = link_items(engine, [Link(int(i), "O1") for i in items["id"].head(5)], "manager")
    assert result["changed"] == 5
    import_batch = int(batches.list_batches(engine)["id"].min())
    with pytest.raises(UndoRefused, match=f"#{result['batch_id']}"):
        undo_batch(engine, import_batch, "t")  # the edit would be silently lost
    undo_batch(engine, result["batch_id"], "t")
    assert _data(engine) == before


def test_a_bad_code_refuses_the_whole_bulk_link(engine) -> None:
    _servicenow_with_objective(engine)
    ids = alignment_queries.alignment_items_frame(engine)["id"].head(3).tolist()
    before = tables.table_checksums(engine)
    with pytest.raises(EditRefused, match="row 3, column 'objective': there is no objective code 'NOPE'"):
        link_items(engine, [Link(ids[0], "O1"), Link(ids[1], "O1"), Link(ids[2], "NOPE")], "t")
    assert tables.table_checksums(engine) == before


def test_strategy_editor_saves_inserts_updates_and_deletes_in_one_audited_batch(engine) -> None:
    load_sample(engine)
    frames = strategy_queries.editable_frames(engine)
    effects = frames["effects"]
    edited = effects.copy()
    edited.loc[edited["kpi"] == "K-DOC", "note"] = "Documented before CAB, checked weekly"
    edited = edited[edited["kpi"] != "K-CLOUD"]  # delete one row
    edited = pd.concat([edited, pd.DataFrame([{"id": None, "objective": "O6", "kpi": "K-CSAT", "effect": "up",
                                               "note": "Faster fixes please customers"}])], ignore_index=True)
    result = save_edits(engine, "effects", effects, edited, "manager")
    assert (result.inserted, result.updated, result.deleted) == (1, 1, 1)
    after = strategy_queries.editable_frames(engine)["effects"].set_index("kpi")
    assert after.at["K-DOC", "note"] == "Documented before CAB, checked weekly"
    assert "K-CLOUD" not in after.index and after.at["K-CSAT", "objective"] == "O6"
    audit = _audit(engine)
    mine = audit[(audit["user"] == "manager") & (audit["entity"] == "expectedeffect")]
    assert sorted(mine["action"]) == ["create", "delete", "edit"]
    batch = batches.batch(engine.connect(), result.batch_id)
    assert batch["kind"] == "edit" and batch["user"] == "manager"


@pytest.mark.parametrize("entity, change, message", [
    ("objectives", {"owner": "Nobody Known"}, "Objectives, row with id 3, column 'owner': there is no person"),
    ("objectives", {"owner": "Tom Becker; Lena Novak"}, "names several people; exactly one accountable owner"),
    ("objectives", {"weight": "heavy"}, "column 'weight': 'heavy' is not a number"),
    ("objectives", {"reported_rag": "purple"}, "'purple' is not one of green, amber, red"),
    ("objectives", {"code": "O2"}, "code must be unique, and O2 would appear twice"),
    ("objectives", {"parent": "KR1"}, "would be its own ancestor"),
    ("objectives", {"title": ""}, "column 'title': a value is needed"),
])
def test_a_bad_cell_names_table_row_and_column_and_changes_nothing(engine, entity, change, message) -> None:
    load_sample(engine)
    objectives = strategy_queries.editable_frames(engine)["objectives"]
    o1 = int(objectives.loc[objectives["code"] == "O1", "id"].iloc[0])
    assert o1 == 3
    before = tables.table_checksums(engine)
    with pytest.raises(EditRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_changes(engine, entity, [], [(o1, change)], [], "t")
    assert tables.table_checksums(engine) == before


def test_an_objective_in_use_cannot_be_deleted(engine) -> None:
    load_sample(engine)
    objectives = strategy_queries.editable_frames(engine)["objectives"]
    before = tables.table_checksums(engine)
    with pytest.raises(EditRefused, match="cannot be deleted while .*work items"):
        save_edits(engine, "objectives", objectives, objectives[objectives["code"] != "O1"], "t")
    assert tables.table_checksums(engine) == before


def test_the_sample_campaign_inquiries_are_the_service_desks_hidden_work(engine) -> None:
    load_sample(engine)
    items = alignment_queries.alignment_items_frame(engine)
    by_team = hidden_work_by(items, "team").set_index("team")
    busy = by_team[by_team["items"] >= 20]
    assert busy.index[0] == "Service Desk" and busy.at["Service Desk", "hidden_ratio"] > 0.5
    desk_hidden = items[(items["team"] == "Service Desk") & items["objective_id"].isna()]
    tickets = desk_hidden[desk_hidden["source"] == "service_desk_tickets"]
    assert len(tickets) >= 0.95 * len(desk_hidden)  # the rest: change-programme tasks owned by desk staff
    categories = tickets["attributes"].map(lambda a: a.get("category"))
    assert len(tickets) == 257 and set(categories) == {"Account inquiry"}
    assert tickets["created_at"].min() >= pd.Timestamp("2026-08-17")  # all after the campaign started


def test_a_changed_reimport_without_an_objective_column_keeps_the_links(engine) -> None:
    """Links made in the app survive an upload whose file has no Objective column, even when the rows changed."""
    from core.importing.service import import_file
    from tests.conftest import csv_bytes

    apply_changes(engine, "objectives", [(1, {"code": "O1", "title": "Resolve incidents faster"})], [], [], "t")
    rows = [["Key", "Title", "Status"], ["T-1", "Fix the printer", "To do"], ["T-2", "New laptop", "To do"]]
    import_file(engine, csv_bytes(rows), "desk.csv", user="t")
    items = alignment_queries.alignment_items_frame(engine)
    link_items(engine, [Link(int(i), "O1") for i in items["id"]], "t")
    rows[1][2] = rows[2][2] = "In progress"  # both rows change
    result = import_file(engine, csv_bytes(rows), "desk.csv", user="t")
    assert result.sheets[0].updated == 2
    after = alignment_queries.alignment_items_frame(engine)
    assert set(after["objective"]) == {"O1"} and set(after["status"]) == {"in_progress"}
