"""What the Alignment page used to work out itself, as core functions on tiny frames: the sidebar's scope, the
suggestions it lists and accepts, the unlinked work it narrows, and the rows the bulk editor changed."""
from __future__ import annotations

from datetime import date

import pandas as pd

from core.alignment import analytics as al
from core.alignment import worklist
from core.alignment.rules import Link
from tests.alignment.test_alignment import OBJECTIVES, SAMPLE

SUGGESTIONS = pd.DataFrame({"item_id": [2, 2, 3, 6], "rank": [1, 2, 1, 1], "objective": ["O1", "O2", "O2", "O1"],
                            "objective_title": ["Faster fixes", "New change process", "New change process",
                                                "Faster fixes"], "score": [0.41, 0.12, 0.19, 0.07]})


def test_the_scope_is_teams_sources_and_work_alive_in_the_period_last_day_included() -> None:
    before = SAMPLE.copy()
    assert sorted(al.items_in_scope(SAMPLE)["id"]) == [1, 2, 3, 4, 5, 6, 7]
    assert sorted(al.items_in_scope(SAMPLE, teams=("Ops",))["id"]) == [5, 6]
    assert al.items_in_scope(SAMPLE, sources=("other",)).empty
    # items 3 and 5 were done on 1 March: a period ending on 28 February keeps them, one starting on 2 March does not
    assert sorted(al.items_in_scope(SAMPLE, period=(date(2026, 2, 1), date(2026, 2, 28)))["id"]) == list(range(1, 8))
    assert sorted(al.items_in_scope(SAMPLE, period=(date(2026, 3, 2), date(2026, 4, 1)))["id"]) == [1, 2, 4, 6, 7]
    late = SAMPLE.assign(created_at=pd.Timestamp("2026-03-01 18:00"))  # created late on the period's last day
    assert len(al.items_in_scope(late, period=(date(2026, 2, 1), date(2026, 3, 1)))) == 7
    pd.testing.assert_frame_equal(SAMPLE, before)


def test_suggestions_score_only_unlinked_items_of_the_chosen_sources_up_to_the_limit() -> None:
    items = SAMPLE.assign(source=["a", "a", "a", "a", "b", "b", "b"],
                          title=["Faster incident fixes"] * 7, description=None)
    all_unlinked = al.suggest_for_unlinked(items, OBJECTIVES)
    assert set(all_unlinked["item_id"]) == {2, 3, 6, 7}  # items 1, 4 and 5 are linked already
    assert set(al.suggest_for_unlinked(items, OBJECTIVES, sources=("b",))["item_id"]) == {6, 7}
    assert set(al.suggest_for_unlinked(items, OBJECTIVES, limit=1)["item_id"]) == {2}


def test_top_suggestions_choices_and_accepting_above_a_floor() -> None:
    top = worklist.top_suggestions(SUGGESTIONS, SAMPLE)
    assert top["item_id"].tolist() == [2, 3, 6] and top["title"].tolist() == ["item 2", "item 3", "item 6"]
    assert worklist.choices_for(SUGGESTIONS, 2).to_dict() == {"O1": 0.41, "O2": 0.12}
    assert worklist.accepted_links(top, 0.15) == [Link(2, "O1"), Link(3, "O2")]
    assert worklist.accepted_links(top, 0.5) == []
    assert "title" not in SUGGESTIONS


def test_unlinked_work_narrows_column_by_column() -> None:
    unlinked = worklist.unlinked(SAMPLE)
    assert unlinked["id"].tolist() == [2, 3, 6, 7]
    assert worklist.narrowed(unlinked, "team", []) is unlinked  # nothing picked: everything
    desk = worklist.narrowed(unlinked, "team", ["Desk"])
    assert desk["id"].tolist() == [2, 3]
    assert worklist.narrowed(desk, "owner", ["Fay"])["id"].tolist() == [3]
    assert worklist.links_to(desk, "O2") == [Link(2, "O2"), Link(3, "O2")]
    assert list(worklist.bulk_grid(SAMPLE.assign(external_key="K", source_file="f.csv", source_row=1)).columns) \
        == worklist.BULK_COLUMNS


def test_edited_rows_are_matched_on_the_id_and_blank_equals_cleared() -> None:
    grid = worklist.bulk_grid(worklist.unlinked(SAMPLE).assign(external_key="K", source_file="f.csv", source_row=1))
    edited = grid.iloc[::-1].reset_index(drop=True)  # the editor sorted the rows
    edited.loc[edited["id"] == 3, "objective"] = "O2"
    edited.loc[edited["id"] == 6, "owner"] = "Eve"
    edited.loc[edited["id"] == 7, "owner"] = ""  # no owner before, an emptied cell now: unchanged
    assert worklist.edited_links(grid, edited) == [Link(6, None, "Eve", set_objective=False, set_owner=True),
                                                   Link(3, "O2", None, set_objective=True, set_owner=False)]
    edited.loc[edited["id"] == 3, "objective"] = None  # a cleared objective: blank, as it was
    assert [link.item_id for link in worklist.edited_links(grid, edited)] == [6]
    assert worklist.edited_links(grid, grid.copy()) == []


def test_the_treemap_sizes_by_effort_only_when_the_work_has_effort() -> None:
    per = al.work_per_objective(SAMPLE, OBJECTIVES)
    assert al.size_measures(per) == ["items", "effort"]
    assert al.size_measures(per.assign(effort=0.0)) == ["items"]
    assert al.size_measures(per.iloc[0:0]) == ["items"]
