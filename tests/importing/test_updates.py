"""Updates held per changed-column pattern read back as the per-row (id, before, after) sequence they replace."""
from __future__ import annotations

import pytest

from core.importing.updates import HASH_ONLY, UpdateGroup, Updates


def _groups() -> list[UpdateGroup]:
    # file rows 0..4: rows 0, 3 change the title; rows 1, 4 the status and effort; row 2 only its hash
    titles = UpdateGroup(("title",), [0, 3], [10, 13], [("s", "K-0"), ("s", "K-3")],
                         {"title": ["a", "d"]}, {"title": ["a2", "d2"]})
    moves = UpdateGroup(("status", "effort"), [1, 4], [11, 14], [("s", "K-1"), ("s", "K-4")],
                        {"status": ["todo", "doing"], "effort": [1.0, None]},
                        {"status": ["doing", "done"], "effort": [2.0, 3.5]})
    hashes = UpdateGroup(HASH_ONLY, [2], [12], [("s", "K-2")], {"row_hash": ["x"]}, {"row_hash": ["y"]})
    return [moves, hashes, titles]


def test_rows_come_back_in_the_files_order_with_only_their_changed_columns() -> None:
    updates = Updates(_groups())
    assert len(updates) == 5
    assert list(updates) == [
        (10, {"title": "a"}, {"title": "a2"}),
        (11, {"status": "todo", "effort": 1.0}, {"status": "doing", "effort": 2.0}),
        (12, {"row_hash": "x"}, {"row_hash": "y"}),
        (13, {"title": "d"}, {"title": "d2"}),
        (14, {"status": "doing", "effort": None}, {"status": "done", "effort": 3.5}),
    ]
    assert updates[3] == (13, {"title": "d"}, {"title": "d2"}) and updates[-1][0] == 14
    assert [u[0] for u in updates[1:3]] == [11, 12]
    assert updates.keys() == [("s", f"K-{i}") for i in range(5)] and updates.ids() == [10, 11, 12, 13, 14]
    assert [k for k, _u in updates.with_keys()] == updates.keys()
    with pytest.raises(IndexError):
        updates[5]


def test_groups_are_selected_whole_and_columns_read_a_group_at_a_time() -> None:
    updates = Updates(_groups())
    real = updates.where(lambda g: g.columns != HASH_ONLY)
    assert real.ids() == [10, 11, 13, 14] and len(updates.where(lambda g: g.columns == HASH_ONLY)) == 1
    assert sorted(updates.changing("status")) == [(11, ("s", "K-1"), "doing"), (14, ("s", "K-4"), "done")]
    assert list(updates.changing("due_at")) == []
    assert not Updates() and list(Updates([UpdateGroup(("title",), [], [], [], {"title": []}, {"title": []})])) == []


def test_taking_rows_of_a_group_keeps_every_column_aligned() -> None:
    moves = _groups()[0].take([1])
    assert moves.positions == [4] and moves.row(0) == (14, {"status": "doing", "effort": None},
                                                       {"status": "done", "effort": 3.5})
    assert Updates([moves, _groups()[2]]).ids() == [10, 13, 14]
