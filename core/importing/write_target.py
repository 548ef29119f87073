"""Write one target's plan: create the people and teams it names, insert new rows, update changed ones.

Every updated row leaves its before-image in ``changelog`` first (the columns the update writes, as stored),
so undo can put them back exactly; work items also get their status history and dependencies.
"""
from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from core.importing.context import ImportContext, SheetResult
from core.importing.plan import TARGETS, TRACE_COLUMNS, SheetPlan, norm, normed
from core.importing.status_history import write_dependencies, write_events
from core.importing.updates import Updates
from core.importing.validate import ValidatedSheet
from core.store import changelog, tables, writes
from core.store.values import map_distinct

MAX_CHANGES_SHOWN = 500


def _ensure_names(conn: Connection, ref: str, keys: set[str], names: dict[str, str], batch_id: int) -> list[str]:
    """Create the people or teams a sheet mentions that do not exist yet; returns their names."""
    table = "person" if ref == "person" else "team"
    known = tables.name_lookup(conn, table)
    new = sorted(k for k in keys if k and k not in known)
    writes.insert_rows(conn, table, [{"name": names.get(k, k), "name_key": k, "created_batch_id": batch_id,
                                    "last_batch_id": batch_id} for k in new])
    return [names.get(k, k) for k in new]


def _translate_refs(frame: pd.DataFrame, kind: str, conn: Connection) -> pd.DataFrame:
    """Names and codes → ids, now that everything referenced exists."""
    target = TARGETS[kind]
    out = frame.copy()
    cache: dict[str, dict[Any, int]] = {}
    for column, ref in target.refs.items():
        if column not in out:
            continue
        if ref not in cache:
            cache[ref] = (tables.name_lookup(conn, ref) if ref in ("person", "team")
                          else tables.ids_by(conn, ref, "code"))
        lookup = cache[ref]
        out[column] = map_distinct(out[column], lookup)
    return out


def apply_target(conn: Connection, plan: SheetPlan, batch_id: int, names: dict[str, dict[str, str]],
                 ctx: ImportContext, source: str | None, vs: ValidatedSheet, result: SheetResult) -> tuple[int, int, int]:
    """Carry out one table's plan: new people and teams it names, inserts, updates, status history."""
    kind, target, incoming = plan.kind, plan.target, plan.incoming
    is_new, updates, hash_only = plan.is_new, plan.updates, plan.hash_only
    for column, ref in target.refs.items():
        if ref in ("person", "team") and column in incoming and not (kind == "people" and ref == "person"):
            created = _ensure_names(conn, ref, set(pd.unique(incoming[column].dropna())), names.get(ref, {}), batch_id)
            (result.new_people if ref == "person" else result.new_teams).extend(created)
    rows_read = plan.rows_read
    inserts = incoming[is_new]
    translated = _translate_refs(inserts, kind, conn)
    self_parent = kind == "objectives"
    if self_parent:
        translated["parent_id"] = None
    table_cols = tables.table(target.table).c
    write_cols = [c for c in (*target.key, *target.columns, "row_hash", *TRACE_COLUMNS)
                  if c in translated and c in table_cols]
    encoded = {"attributes": translated["attributes_json"].tolist()} if "attributes_json" in translated else None
    writes.bulk_insert(conn, target.table, translated[write_cols].assign(created_batch_id=batch_id,
                                                                       last_batch_id=batch_id), encoded)
    if self_parent:
        _set_objective_parents(conn, inserts, batch_id)
    if updates:
        _apply_updates(conn, kind, target, updates, batch_id, incoming, rows_read.get(target.table))
    for group in hash_only.groups:
        writes.update_columns(conn, target.table, group.ids, {"row_hash": group.after["row_hash"]})
    result.changes += islice(({"key": " / ".join(map(str, k)), "field": f, "before": _show(b.get(f)),
                               "after": _show(a[f])} for k, (_i, b, a) in updates.with_keys() for f in a),
                             MAX_CHANGES_SHOWN)
    if kind == "work_items":
        result.status_events = write_events(conn, vs, incoming, is_new, updates, batch_id, ctx, source)
        write_dependencies(conn, incoming, is_new, updates, batch_id, source)
    return plan.inserted, len(updates), plan.unchanged


def _show(v: Any) -> Any:
    v = norm(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return v if v is None or isinstance(v, (int, float, str, bool)) else str(v)


def _set_objective_parents(conn: Connection, inserts: pd.DataFrame, batch_id: int) -> None:
    ids = tables.ids_by(conn, "objective", "code")
    changes = [(ids[c], {"parent_id": ids.get(p)}) for c, p in zip(inserts["code"], inserts["parent_id"])
               if p is not None and ids.get(p) is not None]
    writes.update_rows(conn, "objective", changes)


def _apply_updates(conn: Connection, kind: str, target: Any, updates: Updates, batch_id: int,
                   incoming: pd.DataFrame, rows_read: pd.DataFrame | None = None) -> None:
    """Write the updates, each group of rows changing the same columns at once, after their before-images.

    ``rows_read``: the rows as diff read them, used when they hold what an image keeps (else that group's rows
    are read). A before-image holds the columns its update writes, as stored (on SQLite built from the stored
    rows by SQLite itself): every other column of the row is left as it was, so undo restores the row exactly.
    """
    written: list[tuple[list[int], dict[str, list[Any]]]] = []  # (ids, column → new value per row) per group
    if kind == "work_items":  # diff's after values are already plain Python: only references need their ids
        lookups = {c: tables.name_lookup(conn, ref) if ref in ("person", "team") else tables.ids_by(conn, ref, "code")
                   for c, ref in target.refs.items()}
        row_of = {k: p for p, k in enumerate(zip(*(incoming[c].tolist() for c in target.key)))}
        trace = {"row_hash": incoming["row_hash"].tolist(), **{c: normed(incoming[c]) for c in TRACE_COLUMNS}}
        for group in updates.groups:
            rows = [row_of[k] for k in group.keys]  # the file's row of each key: its hash, its origin
            values: dict[str, list[Any]] = {}
            for c in group.columns:
                lk = lookups.get(c)
                values[c] = group.after[c] if lk is None else [None if v is None else lk.get(v) for v in group.after[c]]
            values["last_batch_id"] = [batch_id] * len(group)
            values.update({c: [v[r] for r in rows] for c, v in trace.items()})
            written.append((group.ids, values))
    else:
        for group in updates.groups:
            after = pd.DataFrame(group.after)
            for c in target.refs:
                if c not in after:
                    after[c] = None
            translated = _translate_refs(after, kind, conn)
            written.append((group.ids, {**{c: normed(translated[c]) for c in group.columns},
                                        "last_batch_id": [batch_id] * len(group)}))
    for group_ids, values in written:  # before-images first: all of them are in the changelog before any write
        if changelog.changelog_add_stored(conn, batch_id, target.table, "update", group_ids, list(values)):
            continue
        kept = ["id", *values]
        stored = (rows_read if rows_read is not None and set(kept) <= set(rows_read.columns)
                  else tables.rows_by_id(conn, target.table, group_ids))
        stored = stored.iloc[pd.Index(stored["id"]).get_indexer(group_ids)].reset_index(drop=True)
        changelog.changelog_add_frame(conn, batch_id, target.table, "update", stored[kept])
    for group_ids, values in written:
        writes.update_columns(conn, target.table, group_ids, values)
