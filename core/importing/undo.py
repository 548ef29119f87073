"""Undo an import batch exactly: restore its before-images, delete the rows it inserted.

Inserted rows are found again by ``created_batch_id``; every updated or deleted row left
its before-image in ``changelog`` (an update's image holds the columns the update wrote).
Undo refuses when a later batch changed or uses the same rows.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import actor_name, checked, require_own_batch
from core.errors import NotFound, UndoRefused
from core.importing import queries as import_queries
from core.store import batches, changelog, tables, writes
from core.store.models import utcnow

DELETE_ORDER = ("personalias", "teamalias",  # aliases first: they point at people and teams
                "workitem", "expectedeffect", "incentive", "kpireading", "kpi", "objective", "person", "team")


def undo_batch(engine: Engine, batch_id: int, user: Any) -> list[int]:
    """Restore the state before the batch (and the batches committed with it); returns the batch ids undone.

    ``user`` is the signed-in Viewer (managers undo only their own batches) or a trusted name (CLI).
    """
    with engine.begin() as conn:
        batch = batches.batch(conn, batch_id)
        if batch is None:
            raise NotFound(f"There is no import batch {batch_id}.")
        viewer = checked(user)
        if viewer is not None:
            require_own_batch(viewer, batch["user"])
        user = actor_name(user)
        if batch["state"] != "committed":
            raise UndoRefused(f"Batch {batch_id} was already undone on {batch['undone_at']:%Y-%m-%d %H:%M} "
                              f"by {batch['undone_by'] or 'someone'}.")
        group = [b for b in batches.batches_in_group(conn, batch["group_key"]) if b["state"] == "committed"]
        ids = [b["id"] for b in group]
        log = pd.concat([changelog.changelog_of(conn, i) for i in ids], ignore_index=True)
        _refuse_if_later_changes(conn, ids, log)
        for b in reversed(group):
            _undo_one(conn, b["id"], log[log["batch_id"] == b["id"]] if len(log) else log)
        for i in ids:
            batches.update_batch(conn, i, {"state": "undone", "undone_at": utcnow(), "undone_by": user})
        tables.audit(conn, user=user, action="undo", entity="importbatch", entity_id=batch_id,
                   detail=f"undid batch(es) {', '.join(map(str, ids))} of {batch['file_name']}")
        tables.bump_data_version(conn)
        return ids


def _refuse_if_later_changes(conn: Connection, ids: list[int], log: pd.DataFrame) -> None:
    later: set[int] = set()
    for table in DELETE_ORDER:
        touched = tables.ids_where_in(conn, table, "created_batch_id", ids)
        if len(log):
            touched += log.loc[(log["table_name"] == table) & (log["op"] == "update"), "row_id"].astype(int).tolist()
        if touched:
            later |= set(batches.later_touches(conn, table, touched, ids))
    later |= set(batches.referenced_by_later(conn, ids))
    later |= set(batches.later_events_on(conn, ids))
    if later:
        shown = ", ".join(f"#{b}" for b in sorted(later))
        raise UndoRefused(f"Batch {ids[0]} cannot be undone: later import batch(es) {shown} changed or use the same "
                          f"rows. Undo {shown} first, then this batch.")


def _undo_one(conn: Connection, batch_id: int, log: pd.DataFrame) -> None:
    tables.delete_where(conn, "signal", "batch_id", batch_id)
    tables.delete_where(conn, "statusevent", "batch_id", batch_id)
    tables.delete_where(conn, "dependency", "batch_id", batch_id)
    updates = log[log["op"] == "update"] if len(log) else log
    for table_name, rows in (updates.groupby("table_name") if len(updates) else []):
        restored = [changelog.from_json_safe(b) for b in rows["before"]]
        writes.update_rows(conn, table_name, [(int(r["id"]), {k: v for k, v in r.items() if k != "id"})
                                            for r in restored])
    import_queries.clear_self_parents(conn, batch_id)
    for table_name in DELETE_ORDER:
        tables.delete_ids(conn, table_name, tables.ids_where(conn, table_name, "created_batch_id", batch_id))
    deletes = log[log["op"] == "delete"] if len(log) else log
    for table_name, rows in (deletes.groupby("table_name") if len(deletes) else []):
        writes.insert_rows(conn, table_name, [changelog.from_json_safe(b) for b in rows["before"]])
