"""Stored views without repeated rows: a frame that is a row subset of another frame of the same view is kept as
its row labels and its own columns only, and rebuilt exactly when read.

The Bottlenecks view's aging, overdue, finished and blocked-alone frames are slices of its timeline (the same
rows, a few more columns): stored whole they made the view 107 MB at 120,000 items, and encoding it was the
largest memory peak of the write-time refresh. Packing is checked, never assumed: a frame that the rebuild does not
give back exactly (``DataFrame.equals``: cells, dtypes, labels) is stored as it is.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PACKED = "$rows_of"  # marks a packed frame inside the stored dict


def pack_subsets(view: dict[str, object], base: str, subsets: tuple[str, ...], key: str = "id") -> dict[str, object]:
    """The view with each of ``subsets`` whose rows are rows of ``view[base]`` (matched on the unique ``key``
    column, whatever their order and index) packed as the base's row positions and its own columns (a new dict)."""
    frame = view.get(base)
    if not isinstance(frame, pd.DataFrame) or key not in frame or not frame[key].is_unique:
        return view
    lookup = pd.Index(frame[key])
    packed = dict(view)
    for name in subsets:
        part = view.get(name)
        if not isinstance(part, pd.DataFrame) or key not in part or not part.columns.is_unique:
            continue
        at = lookup.get_indexer(part[key])
        if (at < 0).any():
            continue
        shared = [c for c in part.columns if c in frame.columns]
        own = part.drop(columns=shared)
        if _rebuilt(frame, at, own, list(part.columns)).equals(part):
            packed[name] = {PACKED: base, "rows": pd.DataFrame({"at": at}), "own": own, "columns": list(part.columns)}
    return packed


def unpack_subsets(view: dict[str, object]) -> dict[str, object]:
    """What :func:`pack_subsets` packed, rebuilt from its base (a new dict; the view itself when nothing is)."""
    marks = {k: v for k, v in view.items() if isinstance(v, dict) and PACKED in v}
    if not marks:
        return view
    out = dict(view)
    for name, mark in marks.items():
        out[name] = _rebuilt(view[mark[PACKED]], mark["rows"]["at"].to_numpy(), mark["own"], mark["columns"])
    return out


def _rebuilt(base: pd.DataFrame, at: np.ndarray, own: pd.DataFrame, columns: list[object]) -> pd.DataFrame:
    """The base's rows ``at`` under ``own``'s index, beside ``own``'s columns, in the original column order."""
    shared = [c for c in columns if c not in own.columns]
    taken = base.iloc[at][shared].set_axis(own.index, axis=0)
    whole = pd.concat([taken, own], axis=1)[columns]
    whole.columns.name = own.columns.name
    return whole
