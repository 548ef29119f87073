"""core.store.grid.diff_rows: what an edited data-editor table changed, matched on the hidden id."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from core.store.grid import diff_rows
from core.store.values import is_blank


def parsed(column: str, value: object) -> object:
    """A grid's own parsing, as My work's (core.work.rows.cell) does it: dates as dates, single spaces."""
    if is_blank(value):
        return None
    return pd.Timestamp(value).to_pydatetime() if column == "due_at" else " ".join(str(value).split())

SHOWN = pd.DataFrame({"id": [1, 2, 3], "code": ["O1", "O2", "O3"], "title": ["Keep", "Ship", None],
                      "weight": [4.0, 1.5, np.nan]})


def test_new_rows_changed_cells_and_deleted_ids() -> None:
    edited = pd.concat([SHOWN[SHOWN["id"] != 3],
                        pd.DataFrame([{"code": "O9", "title": "New one"}])], ignore_index=True)
    edited.loc[edited["id"] == 2, "title"] = "Ship faster"
    inserts, updates, deleted = diff_rows(SHOWN, edited, ["code", "title", "weight"])
    [(row, values)] = inserts
    assert row == 3 and values["code"] == "O9" and values["title"] == "New one"  # editor row 3, counted from 1
    assert pd.isna(values["weight"])  # cells are handed back as the editor gave them
    assert updates == [(2, {"title": "Ship faster"})]  # only the cell that changed
    assert deleted == [3]


def test_rows_are_matched_on_the_id_not_on_their_position() -> None:
    edited = SHOWN.iloc[::-1].reset_index(drop=True)  # the editor sorted the table
    edited.loc[edited["id"] == 1, "weight"] = 5
    assert diff_rows(SHOWN, edited, ["code", "title", "weight"]) == ([], [(1, {"weight": 5})], [])


def test_blanks_are_alike_and_4_0_is_4() -> None:
    edited = SHOWN.assign(id=SHOWN["id"].astype(float), title=["Keep ", "Ship", ""], weight=[4, 1.5, None])
    assert diff_rows(SHOWN, edited, ["code", "title", "weight"]) == ([], [], [])


def test_the_empty_rows_the_editor_adds_are_ignored() -> None:
    edited = pd.concat([SHOWN, pd.DataFrame([{"code": None, "title": "  "}, {"id": np.nan}])], ignore_index=True)
    assert diff_rows(SHOWN, edited, ["code", "title", "weight"]) == ([], [], [])


def test_an_id_it_never_showed_is_left_alone_and_a_new_row_can_carry_a_key() -> None:
    edited = pd.concat([SHOWN, pd.DataFrame([{"id": 99, "title": "Not shown"},
                                             {"title": None, "key": "X-1"}])], ignore_index=True)
    inserts, updates, deleted = diff_rows(SHOWN, edited, ["title"], new_row_columns=("key",))
    assert (updates, deleted) == ([], [])
    assert [(row, values["key"]) for row, values in inserts] == [(5, "X-1")]


def test_a_grids_own_parsing_decides_what_changed_and_what_is_saved() -> None:
    shown = pd.DataFrame({"id": [7], "title": ["Patch  the servers"], "due_at": [pd.Timestamp("2026-03-12")]})
    same_day = shown.assign(title=["Patch the servers "], due_at=["2026-03-12 00:00"])
    assert diff_rows(shown, same_day, ["title", "due_at"], normalise=parsed).updates == []
    moved = shown.assign(due_at=["2026-03-13"])
    assert diff_rows(shown, moved, ["title", "due_at"], normalise=parsed).updates == [
        (7, {"due_at": datetime(2026, 3, 13)})]
