"""Packing a view's row slices: exact when packed, left alone when the rebuild would differ in any way."""
from __future__ import annotations

import pandas as pd

from core.reporting.view_packing import pack_subsets, unpack_subsets
from core.store import snapshot_codec as codec


def _view() -> dict[str, object]:
    base = pd.DataFrame({"id": [10, 11, 12, 13], "title": ["a", "b", None, "d"],
                         "due": pd.to_datetime(["2026-01-02", None, "2026-03-04", "2026-05-06"]),
                         "effort": [1.5, float("nan"), 3.0, 4.0]})
    aging = base.iloc[[3, 0]].assign(age_days=[7.0, 2.0]).sort_values("age_days").reset_index(drop=True)
    late = base.iloc[[2]].copy()  # keeps the base's own labels
    late["title"] = "changed"  # no longer a slice of the base
    stray = pd.concat([base.iloc[[1]], pd.DataFrame({"id": [99], "title": ["x"]})], ignore_index=True)
    return {"timeline": base, "aging": aging, "late": late, "stray": stray, "sentence": "kept as it is"}


def test_slices_are_packed_and_come_back_exactly_through_the_codec() -> None:
    view = _view()
    packed = pack_subsets(view, "timeline", ("aging", "late", "stray", "missing"))
    assert isinstance(packed["aging"], dict) and packed["late"] is view["late"] and packed["stray"] is view["stray"]
    back = unpack_subsets(codec.decode(codec.encode(packed)))
    for name in ("aging", "late", "stray"):
        got, want = back[name], view[name]
        assert got.equals(want) and list(got.columns) == list(want.columns) and got.index.equals(want.index)
        assert (got.dtypes == want.dtypes).all(), name
    assert back["sentence"] == "kept as it is" and "missing" not in back


def test_a_base_without_a_unique_key_packs_nothing() -> None:
    view = _view()
    view["timeline"] = pd.concat([view["timeline"], view["timeline"].iloc[[0]]])
    assert pack_subsets(view, "timeline", ("aging",)) is view
    assert unpack_subsets(view) is view
