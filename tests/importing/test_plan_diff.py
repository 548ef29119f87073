"""The update plan on hand-built frames: exactly which cells changed, and their (before, after) values.

``plan.diff`` compares whole columns at once; these pin what the per-cell ``equal`` always
decided: every kind of missing is the same, numbers match within 1e-9 (relative), datetimes
to the second, and the values handed on are plain Python (None, float, str, datetime).
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from core.importing import queries as import_queries
from core.importing.diff import changed_cells, diff
from core.importing.plan import Resolver
from core.importing.service import ImportOptions, import_file
from core.store import tables
from tests.conftest import csv_bytes

SOURCE = "diff-test"
T0 = datetime(2024, 3, 1, 9, 30, 0)


def _db_frame(n: int, **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"id": list(range(1, n + 1)), **columns})


def _cells(candidates: pd.DataFrame, existing: pd.DataFrame, app_kept: dict | None = None) -> list[tuple]:
    """(row position, column, before, after) for every changed cell, in row then column order."""
    columns = [c for c in candidates.columns if c in existing.columns and c != "id"]
    befores, afters, changed = changed_cells(candidates, existing, columns, existing["id"].tolist(), app_kept or {})
    return [(p, columns[j], befores[j][p], afters[j][p]) for p, j in zip(*np.nonzero(changed))]


def test_missing_values_of_every_kind_are_equal_and_none_to_value_is_a_change() -> None:
    existing = _db_frame(5, title=pd.Series(["a", None, "c", np.nan, "e"], dtype="str"),
                         due_at=pd.to_datetime(pd.Series([T0, None, T0, None, None])))
    candidates = pd.DataFrame({"title": pd.Series([None, np.nan, "c", None, "E"], dtype=object),
                               "due_at": pd.Series([T0, pd.NaT, None, None, T0], dtype=object)})
    cells = _cells(candidates, existing)
    assert cells == [(0, "title", "a", None),  # value → None
                     (2, "due_at", T0, None),
                     (4, "title", "e", "E"),  # case is a change
                     (4, "due_at", None, T0)]  # None → value
    assert type(cells[1][2]) is datetime and type(cells[3][3]) is datetime  # never a pandas Timestamp


def test_numbers_match_within_tolerance_across_dtypes() -> None:
    existing = _db_frame(6, effort=pd.Series([2.0, 1e12, 3.5, None, 1.0, 7.0]))
    candidates = pd.DataFrame({"effort": pd.Series([2.0 + 1e-12, 1e12 + 1e-4, 3.6, 4.0, None, 7.0])})
    assert _cells(candidates, existing) == [(2, "effort", 3.5, 3.6), (3, "effort", None, 4.0), (4, "effort", 1.0, None)]
    # the same values in object columns (ints and floats mixed) decide the same way
    mixed = pd.DataFrame({"effort": pd.Series([2, 1e12 + 1e-4, 3.6, 4, None, np.int64(7)], dtype=object)})
    cells = _cells(mixed, existing.astype({"effort": object}))
    assert cells == [(2, "effort", 3.5, 3.6), (3, "effort", None, 4), (4, "effort", 1.0, None)]
    assert type(cells[1][3]) is int  # np.int64 / int come out as Python int


def test_datetimes_compare_to_the_second_in_any_resolution_or_dtype() -> None:
    existing = _db_frame(4, due_at=pd.Series([T0, T0, T0, T0]).astype("datetime64[us]"))
    later = [T0.replace(microsecond=400_000), T0.replace(second=1), T0, T0.replace(day=2)]
    for values in (pd.Series(later).astype("datetime64[ns]"), pd.Series(later, dtype=object)):
        cells = _cells(pd.DataFrame({"due_at": values}), existing)
        assert cells == [(1, "due_at", T0, T0.replace(second=1)), (3, "due_at", T0, T0.replace(day=2))]
        assert all(type(v) is datetime for c in cells for v in c[2:])


def test_text_dicts_and_app_edited_columns() -> None:
    existing = _db_frame(3, title=pd.Series(["x", "y", "z"], dtype="str"),
                         attributes=pd.Series([{"k": 1}, None, {"k": 2}], dtype=object))
    candidates = pd.DataFrame({"title": ["x", "Y", "Z"], "attributes": [{"k": 1}, {"k": 1}, {"k": 3}]})
    assert _cells(candidates, existing) == [(1, "title", "y", "Y"), (1, "attributes", None, {"k": 1}),
                                            (2, "title", "z", "Z"), (2, "attributes", {"k": 2}, {"k": 3})]
    # item 3's title was edited in the app: the file may not overwrite it, its other change stays
    assert _cells(candidates, existing, {3: {"title"}, 99: {"attributes"}}) == [
        (1, "title", "y", "Y"), (1, "attributes", None, {"k": 1}), (2, "attributes", {"k": 2}, {"k": 3})]


def _incoming(rows: list[dict]) -> pd.DataFrame:
    """What build_incoming hands to diff, for the columns this test compares."""
    frame = pd.DataFrame(rows)
    frame.insert(0, "source", SOURCE)
    frame["source_row"] = range(2, len(frame) + 2)
    frame["source_file"] = "tracker.csv"
    frame["source_sheet"] = None
    return frame


def test_diff_on_a_hand_built_frame_gives_each_changed_cell_once(engine, monkeypatch) -> None:
    header = ["Key", "Title", "Status", "Owner", "Due", "Effort"]
    rows = [["K-1", "One", "To do", "Ada Lovelace", "2024-03-01", "2"],
            ["K-2", "Two", "Done", "", "", "3.5"],
            ["K-3", "Three", "To do", "Ada Lovelace", "2024-03-01", "1"],
            ["K-4", "Four", "To do", "", "2024-03-01", "1"]]
    first = import_file(engine, csv_bytes([header, *rows]), "tracker.csv",
                        ImportOptions(kind="work_items", source=SOURCE), "t")
    assert first.inserted == 4
    with engine.connect() as conn:
        w = tables.table("workitem")
        ids = dict(conn.execute(sa.select(w.c.external_key, w.c.id)).all())
        incoming = _incoming([
            # K-1: title changed; effort within tolerance and due within the same second: unchanged
            {"external_key": "K-1", "title": "One!", "status": "todo", "owner_id": "ada lovelace",
             "due_at": pd.Timestamp(T0.replace(hour=0, minute=0, microsecond=300_000)), "effort": 2.0 + 1e-12},
            # K-2: value → None and None → value
            {"external_key": "K-2", "title": "Two", "status": "done", "owner_id": "ada lovelace",
             "due_at": pd.Timestamp("2024-04-02"), "effort": None},
            # K-3: nothing differs in these columns (the hash does: fewer columns are hashed) → hash refresh
            {"external_key": "K-3", "title": "Three", "status": "todo", "owner_id": "ada lovelace",
             "due_at": pd.Timestamp("2024-03-01"), "effort": 1.0},
            # K-4: due one second later, effort 1 → 1.1, and a title the app edited (kept)
            {"external_key": "K-4", "title": "Four (file)", "status": "todo", "owner_id": None,
             "due_at": pd.Timestamp("2024-03-01 00:00:01"), "effort": 1.1},
            {"external_key": "K-5", "title": "Five", "status": "todo", "owner_id": None,
             "due_at": pd.NaT, "effort": None},  # new
        ])
        monkeypatch.setattr(import_queries, "app_edited_columns", lambda _c, source: {ids["K-4"]: {"title"}})
        is_new, updates, unchanged, keys = diff(conn, "work_items", incoming, Resolver.load(conn), SOURCE)
    assert is_new.tolist() == [False, False, False, False, True]
    assert unchanged == 0
    midnight = datetime(2024, 3, 1)
    assert [(u[0], u[1], u[2]) for u in updates if "row_hash" not in u[2]] == [
        (ids["K-1"], {"title": "One"}, {"title": "One!"}),
        (ids["K-2"], {"owner_id": None, "due_at": None, "effort": 3.5},
         {"owner_id": "ada lovelace", "due_at": datetime(2024, 4, 2), "effort": None}),
        (ids["K-4"], {"due_at": midnight, "effort": 1.0}, {"due_at": datetime(2024, 3, 1, 0, 0, 1), "effort": 1.1}),
    ]
    assert keys == [(SOURCE, "K-1"), (SOURCE, "K-2"), (SOURCE, "K-4")]
    hash_only = [u for u in updates if "row_hash" in u[2]]
    assert [u[0] for u in hash_only] == [ids["K-3"]]
    assert set(hash_only[0][1]) == set(hash_only[0][2]) == {"row_hash"}
    assert hash_only[0][1]["row_hash"] != hash_only[0][2]["row_hash"]
    assert [u[0] for u in updates] == [ids["K-1"], ids["K-2"], ids["K-3"], ids["K-4"]]  # the file's order
    for _id, before, after in updates:
        for v in (*before.values(), *after.values()):
            assert v is None or type(v) in (str, float, int, datetime)


def test_hashes_stored_by_an_earlier_version_are_refreshed_and_nothing_else_changes(engine, tmp_path) -> None:
    """A new way of hashing rows (as when attributes came to be hashed as their JSON text) costs one slower
    re-import: every row is compared cell by cell, counted unchanged, and only its stored hash is rewritten.
    (The same bytes again never get that far: an identical re-import is recognised by its fingerprint.)"""
    from core.importing.service import import_path
    from tests.conftest import GMPP

    first = import_path(engine, GMPP, user="t")
    next_export = tmp_path / GMPP.name  # next week's export, the same rows: other bytes (one more line ending)
    next_export.write_bytes(GMPP.read_bytes() + b"\n")
    with engine.begin() as conn:
        stored = dict(conn.execute(sa.text("SELECT id, row_hash FROM workitem")).all())
        conn.execute(sa.text("UPDATE workitem SET row_hash = 'written-by-an-earlier-version'"))
    again = import_path(engine, next_export, user="t")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
    with engine.connect() as conn:
        assert dict(conn.execute(sa.text("SELECT id, row_hash FROM workitem")).all()) == stored
        t = tables.table("workitem")
        attributes = [a for a in conn.execute(sa.select(t.c.attributes)).scalars() if a]
    assert len(attributes) > 0  # the hashed rows do carry attributes (the GMPP export's unmapped columns)
    third = import_path(engine, next_export, user="t")
    assert (third.inserted, third.updated, third.unchanged) == (0, 0, first.inserted)
