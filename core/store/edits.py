"""In-app edits as batches: the same change log, undo and audit as an import.

An edit made on a page (an objective's owner, a rule linking 300 tickets, a bulk
link of unlinked work) is recorded as an ``ImportBatch`` of kind ``edit``. That
buys three promises for free: the edit can be undone from the Import history like
an import; an import that an edit later touched refuses to be undone over it
(``last_batch_id`` moves); and every changed row leaves an audit entry with its
before and after values.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

from core.store import batches, changelog, tables, writes
from core.store.models import utcnow
from core.store.values import plain

EDIT_KIND = "edit"


@dataclass
class EditBatch:
    """Writes of one in-app edit; every method records change log and audit entries."""

    conn: Connection
    batch_id: int
    user: str | None
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def update(self, table: str, changes: list[tuple[int, dict[str, Any]]], action: str = "edit") -> int:
        """Apply ``(id, {column: value})`` changes that really change something; returns rows changed."""
        if not changes:
            return 0
        before = tables.rows_by_id(self.conn, table, [i for i, _ in changes]).set_index("id", drop=False)
        real: list[tuple[int, dict[str, Any]]] = []
        audits: list[dict[str, Any]] = []
        for row_id, values in changes:
            if row_id not in before.index:
                continue
            old = before.loc[row_id]
            diff = {c: v for c, v in values.items() if plain(old[c]) != plain(v)}
            if diff:
                real.append((row_id, diff))
                audits.append({"action": action, "entity": table, "entity_id": int(row_id),
                               "before": {c: plain(old[c]) for c in diff}, "after": {c: plain(v) for c, v in diff.items()}})
        if not real:
            return 0
        changelog.changelog_add(self.conn, self.batch_id, table, "update",
                           before.loc[[i for i, _ in real]].to_dict("records"))
        stamped = [(i, {**v, "last_batch_id": self.batch_id}) if _tracked(table) else (i, v) for i, v in real]
        writes.update_rows(self.conn, table, stamped)
        tables.audit_many(self.conn, self.user, audits)
        self.updated += len(real)
        return len(real)

    def insert(self, table: str, values: dict[str, Any]) -> int:
        stamp = {"created_batch_id": self.batch_id, "last_batch_id": self.batch_id} if _tracked(table) else {}
        row_id = tables.insert_returning_id(self.conn, table, {**values, **stamp})
        tables.audit(self.conn, user=self.user, action="create", entity=table, entity_id=row_id,
                   after={k: plain(v) for k, v in values.items()})
        self.inserted += 1
        return row_id

    def delete(self, table: str, ids: list[int]) -> int:
        if not ids:
            return 0
        before = tables.rows_by_id(self.conn, table, ids)
        changelog.changelog_add(self.conn, self.batch_id, table, "delete", before.to_dict("records"))
        tables.delete_ids(self.conn, table, ids)
        tables.audit_many(self.conn, self.user, [
            {"action": "delete", "entity": table, "entity_id": int(r["id"]),
             "before": {k: plain(v) for k, v in r.items() if k not in ("created_batch_id", "last_batch_id")}}
            for r in before.to_dict("records")])
        self.deleted += len(before)
        return len(before)


def _tracked(table: str) -> bool:
    return "last_batch_id" in tables.table(table).c


@contextmanager
def edit_batch(engine: Engine, user: str | None, what: str) -> Iterator[EditBatch]:
    """One transaction for one edit; the batch record is kept only when something changed."""
    with engine.begin() as conn:
        batch_id = batches.create_batch(conn, {"group_key": uuid.uuid4().hex, "file_name": what, "file_sha256": "",
                                            "kind": EDIT_KIND, "user": user, "created_at": utcnow()})
        eb = EditBatch(conn, batch_id, user)
        yield eb
        if eb.changed:
            batches.update_batch(conn, batch_id, {"inserted": eb.inserted, "updated": eb.updated,
                                               "unchanged": 0, "rows_read": eb.inserted + eb.updated + eb.deleted,
                                               "options": {"edit": what, "deleted": eb.deleted,
                                                           "notes": eb.notes[:50]}})
            tables.bump_data_version(conn)
        else:
            tables.delete_ids(conn, "importbatch", [batch_id])
