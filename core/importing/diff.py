"""Incoming rows against the database: which are new, which changed (before → after), which are unchanged.

Work items are compared by a 64-bit row digest first, so an unchanged re-import reads only hashes; the rows whose
digest differs are read once and compared whole columns at a time, and before/after values are built only for the
cells that differ. Nothing here writes.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from core.importing import queries as import_queries
from core.importing.issues import Issue
from core.importing.plan import (
    TARGETS,
    TRACE_COLUMNS,
    Resolver,
    SheetPlan,
    Target,
    equal,
    norm,
    normed,
)
from core.importing.updates import HASH_ONLY, Update, UpdateGroup, Updates
from core.importing.validate import ValidatedSheet
from core.store import tables
from core.store.values import map_distinct
from core.store.writes import json_text


def existing_frame(conn: Connection, target: Target, resolver: Resolver, incoming: pd.DataFrame,
                   source: str | None) -> pd.DataFrame:
    """Database rows for this target, with references turned into the same names/codes as ``incoming``."""
    t = tables.table(target.table)
    where = t.c.source == source if target.table == "workitem" else None
    df = tables.read_table(conn, target.table, where)
    for column, ref in target.refs.items():
        df[column] = map_distinct(df[column], lambda i, r=ref: resolver.key_of_id(r, i))
    return df


def row_hashes(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """A 64-bit digest per row of the compared columns (pandas' vectorised hashing)."""
    parts = {}
    for c in columns:
        if c not in frame:
            continue
        s = frame[c]
        if c == "attributes":  # the JSON text stored (built column by column at validation), key order included
            texts = frame["attributes_json"] if "attributes_json" in frame else [json_text(d) if d else None
                                                                                  for d in s.tolist()]
            s = pd.Series(texts, index=s.index, dtype=object).fillna("")
        elif pd.api.types.is_datetime64_any_dtype(s):
            s = s.astype("datetime64[s]").astype("int64").where(s.notna(), -1)
        elif s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
            s = s.where(s.notna(), "")  # text only: str(v) is v, in one step
        elif s.dtype == object:
            s = s.map(lambda v: "" if v is None or v != v else str(v))
        parts[c] = s
    hashed = pd.util.hash_pandas_object(pd.DataFrame(parts, index=frame.index), index=False)
    return pd.Series([f"{h:016x}" for h in hashed.tolist()], index=hashed.index)


def plan_target(conn: Connection, kind: str, incoming: pd.DataFrame, resolver: Resolver,
                source: str | None) -> SheetPlan:
    """The plan for one table: which incoming rows are inserted, which update what, which are unchanged."""
    if kind == "people":
        incoming = incoming.drop_duplicates("name_key", keep="first")
    rows_read: dict[str, pd.DataFrame] = {}
    is_new, updates, unchanged, _keys = diff(conn, kind, incoming, resolver, source, rows_read)
    hash_only = updates.where(lambda g: g.columns == HASH_ONLY)
    fresh: list[UpdateGroup] = []
    stale: list[tuple[int, tuple, Update]] = []  # (the file's row position, key, update)
    for group in updates.where(lambda g: g.columns != HASH_ONLY).groups:
        # only a row that writes its "updated" time can be older than what is stored: judged once per row
        older = ([k for k in range(len(group)) if older_than_stored(group.row(k))]
                 if "updated_at" in group.columns else [])
        if older:
            old = set(older)
            stale += [(group.positions[k], group.keys[k], group.row(k)) for k in older]
            group = group.take([k for k in range(len(group)) if k not in old])
        fresh.append(group)
    return SheetPlan(kind, incoming, is_new, Updates(fresh), hash_only, unchanged + len(hash_only) + len(stale),
                     rows_read, [(key, update) for _p, key, update in sorted(stale, key=lambda s: s[0])])


def older_than_stored(update: Update) -> bool:
    """A row whose own "updated" time is older than the stored one: an older export must not undo newer data.

    Only a row that says when it was updated can be judged; without that time on either side it applies.
    """
    _row_id, before, after = update
    if "updated_at" not in after or before.get("updated_at") is None or after["updated_at"] is None:
        return False
    try:
        return pd.Timestamp(after["updated_at"]) < pd.Timestamp(before["updated_at"])
    except (TypeError, ValueError):
        return False


def diff(conn: Connection, kind: str, incoming: pd.DataFrame, resolver: Resolver, source: str | None,
         rows_read: dict[str, pd.DataFrame] | None = None) -> tuple[pd.Series, Updates, int, list[tuple]]:
    """(insert mask, updates, unchanged count, the keys of the updates that are not hash-only) for incoming rows
    against the database. The updates come a changed-column pattern at a time, rows in the file's order.

    Work items: the database rows read for the comparison (:func:`read_columns`, as stored) are left
    in ``rows_read["workitem"]`` when it is given, so the commit need not read them again.
    """
    target = TARGETS[kind]
    key = list(target.key)
    if kind == "work_items":
        incoming["row_hash"] = row_hashes(incoming, target.columns)
        existing_keys = import_queries.work_item_hashes(conn, source or "")
        merged = incoming[key[1:] + ["row_hash"]].reset_index().merge(
            existing_keys, on="external_key", how="left", suffixes=("", "_db"))
        merged = merged.set_index("index")
        is_new = merged["id"].isna()
        differs = ~is_new & (merged["row_hash"] != merged["row_hash_db"])
        unchanged = int((~is_new & ~differs).sum())
        changed_ids = merged.loc[differs, "id"].astype(int)
        if changed_ids.empty:
            return is_new.reindex(incoming.index), Updates(), unchanged, []
        candidates = incoming.loc[differs[differs].index]
        existing = import_queries.work_items_by_id(conn, source or "", changed_ids.tolist(),
                                                   read_columns(target, candidates, conn.dialect.name != "sqlite"))
        if rows_read is not None:
            rows_read["workitem"] = existing
            existing = existing.copy(deep=False)  # the reference columns below are replaced, not changed in place
        for column, ref in target.refs.items():  # ids → the names/codes incoming holds (resolver.key_of_id)
            if column in existing:
                existing[column] = map_distinct(existing[column], lambda i, r=ref: resolver.key_of_id(r, i))
        at = pd.Index(existing["id"]).get_indexer(changed_ids)  # the stored row of each candidate, in their order
        if (at < 0).any():
            raise LookupError(f"work items {changed_ids[at < 0].tolist()[:5]} were not read back for the comparison")
        existing = existing.iloc[at]
        existing.index = candidates.index
    else:
        existing = existing_frame(conn, target, resolver, incoming, source)
        keys_in = incoming[key].apply(lambda c: c.map(_fold))
        keys_db = existing[key].apply(lambda c: c.map(_fold)) if len(existing) else pd.DataFrame(columns=key)
        db_index = {tuple(r): i for i, r in zip(existing.index, keys_db.itertuples(index=False))}
        pos = [db_index.get(tuple(r)) for r in keys_in.itertuples(index=False)]
        is_new = pd.Series([p is None for p in pos], index=incoming.index)
        candidates = incoming[~is_new]
        existing = existing.loc[[p for p in pos if p is not None]]
        existing.index = candidates.index
        unchanged = 0
    if not len(candidates):  # nothing to compare (the frame may even have no columns)
        return is_new.reindex(incoming.index).fillna(False).astype(bool), Updates(), unchanged, []
    # columns edited in the app that the upload may not overwrite (core.importing.sync decided before the plan)
    app_kept = import_queries.app_edited_columns(conn, source or "") if kind == "work_items" else {}
    columns = [c for c in target.columns if c in candidates]
    ids = [int(i) for i in existing["id"].tolist()]
    befores, afters, changed = changed_cells(candidates, existing, columns, ids, app_kept)
    keys = list(zip(*(candidates[k].tolist() for k in key)))
    hashes = ((existing["row_hash"].tolist(), candidates["row_hash"].tolist()) if kind == "work_items" else None)
    # rows mostly share a few patterns of changed columns: each pattern becomes one group, gathered by column
    patterns, which = changed_patterns(changed)
    groups = []
    for w, pattern in enumerate(patterns):
        rows = np.flatnonzero(which == w).tolist()
        js = np.flatnonzero(pattern).tolist()
        if js:
            before = {columns[j]: list(map(befores[j].__getitem__, rows)) for j in js}
            after = {columns[j]: list(map(afters[j].__getitem__, rows)) for j in js}
        elif hashes is not None:  # hash-only change (rare): refresh the hash
            before, after = ({"row_hash": [h[p] for p in rows]} for h in hashes)
        else:
            unchanged += len(rows)
            continue
        groups.append(UpdateGroup(tuple(after), rows, [ids[p] for p in rows], [keys[p] for p in rows], before, after))
    updates = Updates(groups)
    updated_keys = updates.where(lambda g: g.columns != HASH_ONLY).keys()
    return is_new.reindex(incoming.index).fillna(False).astype(bool), updates, unchanged, updated_keys


def read_columns(target: Target, candidates: pd.DataFrame, for_images: bool = True) -> list[str]:
    """The work-item columns a diff reads: the ones it compares, and, ``for_images``, what an update's
    before-image keeps (its written columns: the changed ones, ``last_batch_id``, ``row_hash`` and the trace
    columns). SQLite builds the images from the stored rows (``changelog_add_stored``): the diff skips those."""
    compared = [c for c in target.columns if c in candidates]
    bookkeeping = ["last_batch_id", *TRACE_COLUMNS] if for_images else []
    return ["id", "external_key", "row_hash", *bookkeeping, *compared]


def changed_patterns(changed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct rows of a rows × columns bool mask, each row's pattern number).

    Each row is packed into one integer first: ``np.unique`` on 100,000 integers takes a millisecond, on the
    bool rows themselves (``axis=0``) 0.4 s.
    """
    rows, width = changed.shape
    if not rows:
        return np.zeros((0, width), dtype=bool), np.zeros(0, dtype=int)
    if width > 62:
        patterns, which = np.unique(changed, axis=0, return_inverse=True)
        return patterns, np.asarray(which).ravel()
    bits = np.int64(1) << np.arange(width, dtype=np.int64)
    codes, which = np.unique(changed.astype(np.int64) @ bits, return_inverse=True)
    return (codes[:, None] & bits) != 0, np.asarray(which).ravel()


def surely_equal(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, bool]:
    """Per position, whether :func:`equal` holds, computed on whole columns; and whether that is exact.

    Exact for two numeric columns (the same tolerance), two naive datetime columns (to the second) and two
    columns of text (strings and missing cells only). Any other pair is compared with plain ``==`` on the Python
    values, which never calls a changed cell equal but may miss a tolerance or a second, so a cell it leaves
    False is checked again with :func:`equal` itself (:func:`changed_cells`).
    """
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    both = ~na_a & ~na_b
    exact = True
    if a.dtype.kind in "iuf" and b.dtype.kind in "iuf":
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            same = np.abs(x - y) <= 1e-9 * np.maximum(1.0, np.abs(x))
    elif a.dtype.kind == "M" and b.dtype.kind == "M" and a.dt.tz is None and b.dt.tz is None:
        same = a.dt.floor("s").to_numpy() == b.dt.floor("s").to_numpy()
    else:  # text against text is exact too: equal() compares two strings with ==
        exact = all(pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty") for s in (a, b))
        same = np.zeros(len(a), dtype=bool)
        if both.any():
            same[both] = np.asarray(a.to_numpy(dtype=object)[both] == b.to_numpy(dtype=object)[both], dtype=bool)
    return (na_a & na_b) | (both & same), exact


def changed_cells(candidates: pd.DataFrame, existing: pd.DataFrame, columns: list[str], ids: list[int],
                  app_kept: dict[int, set[str]]) -> tuple[list[dict[int, Any]], list[dict[int, Any]], np.ndarray]:
    """The cells where ``candidates`` (the file) and ``existing`` (the database, same row order) differ.

    Returns per column the normalised database and file values of its changed rows
    (position → value), and the rows × columns mask of changed cells. Columns kept as
    edited in the app (``app_kept``: item id → columns) never count as changed.
    """
    changed = np.zeros((len(candidates), len(columns)), dtype=bool)
    exact = []
    for j, c in enumerate(columns):
        same, is_exact = surely_equal(candidates[c], existing[c])
        changed[:, j] = ~same
        exact.append(is_exact)
    if app_kept:
        index = {c: j for j, c in enumerate(columns)}
        for p in np.flatnonzero(np.isin(np.asarray(ids, dtype=np.int64), list(app_kept))).tolist():
            for c in app_kept[ids[p]]:
                if c in index:
                    changed[p, index[c]] = False
    befores: list[dict[int, Any]] = []
    afters: list[dict[int, Any]] = []
    for j, c in enumerate(columns):
        rows = np.flatnonzero(changed[:, j]).tolist()
        news, olds = normed(candidates[c].iloc[rows]), normed(existing[c].iloc[rows])
        if exact[j]:  # whole-column comparison was exact: every flagged cell changed
            before, after = dict(zip(rows, olds)), dict(zip(rows, news))
        else:
            before, after = {}, {}
            for p, new, old in zip(rows, news, olds):
                if (type(new) is str and type(old) is str) or not equal(new, old):
                    before[p], after[p] = old, new
                else:
                    changed[p, j] = False
        befores.append(before)
        afters.append(after)
    return befores, afters, changed


def _fold(v: Any) -> Any:
    v = norm(v)
    return " ".join(v.split()).casefold() if isinstance(v, str) else v


def stale_issues(plan: SheetPlan, incoming: pd.DataFrame, vs: ValidatedSheet) -> list[Issue]:
    """One warning per row the plan kept back because the database holds newer data (file, sheet, row, column)."""
    if not plan.stale:
        return []
    header = vs.mapping.fields.get("updated_at")
    rows = dict(zip(zip(*(incoming[k].tolist() for k in plan.target.key)), incoming["source_row"].tolist()))
    return [Issue(f"updated {_day(after['updated_at'])}, but Throughline holds this item as updated "
                  f"{_day(before['updated_at'])}: the older row was not applied (import a newer export to change it)",
                  row=int(rows[key]), column=header, value=str(key[-1]), severity="warning", sheet=vs.table.sheet)
            for key, (_i, before, after) in plan.stale if key in rows]


def _day(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp:%Y-%m-%d %H:%M}" if (stamp.hour or stamp.minute) else f"{stamp:%Y-%m-%d}"
