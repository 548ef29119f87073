"""What a user changed in an editable table (``st.data_editor``): new rows, changed cells, deleted rows.

Strategy's tables, My work's grid and alignment's bulk editor each hand back an edited copy of the
frame they showed, with a hidden id column. Matching rows on that id (never on position: the editor
sorts, and a page may show a filtered slice) and comparing cells with the one notion of "the same
value" (``core.store.values.same``: every blank alike, 4.0 and 4 alike) keeps a save from writing
cells nobody touched, the same way on every page.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import pandas as pd

from core.store.values import is_blank, same

Normalise = Callable[[str, object], object]  # (column, cell) → the value to compare and to save


class RowDiff(NamedTuple):
    """Unpacks as ``inserts, updates, deleted = diff_rows(...)``."""

    inserts: list[tuple[int, dict[str, object]]]  # (editor row number from 1, the new row's values)
    updates: list[tuple[int, dict[str, object]]]  # (id, only the cells that changed, with their new values)
    deleted: list[int]  # ids of rows shown that the edited table no longer has


def _as_is(_column: str, value: object) -> object:
    return value


def diff_rows(original: pd.DataFrame, edited: pd.DataFrame, columns: Sequence[str], *, id_column: str = "id",
              new_row_columns: Sequence[str] = (), normalise: Normalise | None = None) -> RowDiff:
    """Compare the table as shown (``original``) with the table the editor returned (``edited``).

    A row whose id is blank is new, unless every one of its ``columns`` and ``new_row_columns`` is blank
    (the empty row the editor adds at the bottom); ``new_row_columns`` are carried by new rows only (a
    key typed for a new row). A row with an id is compared on the ``columns`` both tables have; an id
    the original never showed is left alone. ``normalise`` turns each cell into the value compared and
    returned (a grid's own parsing: dates as dates, names with single spaces); without it cells are
    compared and returned as they are.
    """
    norm = normalise or _as_is
    before = {int(r[id_column]): r for r in original.to_dict("records") if not is_blank(r.get(id_column))}
    seen: set[int] = set()
    inserts: list[tuple[int, dict[str, object]]] = []
    updates: list[tuple[int, dict[str, object]]] = []
    for pos, row in enumerate(edited.to_dict("records"), start=1):
        row_id = row.get(id_column)
        if is_blank(row_id):
            values = {c: norm(c, row.get(c)) for c in (*columns, *new_row_columns)}
            if not all(is_blank(v) for v in values.values()):
                inserts.append((pos, values))
            continue
        seen.add(int(row_id))  # an id cell: an int, or 4.0 read back
        old = before.get(int(row_id))
        if old is None:
            continue
        changed: dict[str, object] = {}
        for c in columns:
            if c in row and c in old:
                new = norm(c, row[c])
                if not same(norm(c, old[c]), new):
                    changed[c] = new
        if changed:
            updates.append((int(row_id), changed))
    return RowDiff(inserts, updates, [i for i in before if i not in seen])
