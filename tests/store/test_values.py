"""core.store.values.map_distinct: one result per distinct value, laid back over the rows exactly."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.store.values import map_distinct


def test_a_mapping_gives_its_value_and_none_when_absent_or_missing() -> None:
    col = pd.Series(["ann", "bob", None, "ann", np.nan, "zed"], index=[10, 11, 12, 13, 14, 15], dtype=object)
    out = map_distinct(col, {"ann": 1, "bob": 2})
    assert out.tolist() == [1, 2, None, 1, None, None]
    assert list(out.index) == [10, 11, 12, 13, 14, 15] and out.dtype == object
    assert all(type(v) is int for v in out.dropna())  # not NaN-promoted floats, which a database would be sent


def test_a_function_is_called_once_per_distinct_value() -> None:
    calls: list[object] = []

    def fold(v: object) -> object:
        calls.append(v)
        return str(v).casefold()

    col = pd.Series(["ABC-1", "abc-2", "ABC-1", None, "ABC-1", 7], dtype=object)
    assert map_distinct(col, fold).tolist() == ["abc-1", "abc-2", "abc-1", None, "abc-1", "7"]
    assert calls == ["ABC-1", "abc-2", 7]


def test_an_unhashable_cell_falls_back_to_value_by_value() -> None:
    col = pd.Series([{"a": 1}, None, {"a": 1}], dtype=object)
    assert map_distinct(col, lambda d: len(d)).tolist() == [1, None, 1]


def test_the_same_as_series_map_on_a_real_sized_column() -> None:
    rng = np.random.default_rng(7)
    names = np.array([f"Person {i}" for i in range(300)] + [None], dtype=object)
    col = pd.Series(names[rng.integers(0, len(names), 50_000)], dtype=object)
    lookup = {f"Person {i}": i for i in range(0, 300, 2)}
    expected = [lookup.get(v) if v is not None else None for v in col.tolist()]
    assert map_distinct(col, lookup).tolist() == expected
