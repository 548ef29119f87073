"""Import and edit batches: creating them, their issues and rejected rows, and the questions undo
asks (which later batches touched the same rows).
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store import models as m
from core.store.tables import T, chunks, insert_returning_id, read_table
from core.store.writes import insert_rows


def create_batch(conn: Connection, values: dict[str, Any]) -> int:
    return insert_returning_id(conn, "importbatch", {"created_at": m.utcnow(), "state": "committed", **values})


def update_batch(conn: Connection, batch_id: int, values: dict[str, Any]) -> None:
    t = T["importbatch"]
    conn.execute(sa.update(t).where(t.c.id == batch_id).values(**values))


def batch(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    t = T["importbatch"]
    row = conn.execute(sa.select(t).where(t.c.id == batch_id)).mappings().first()
    return dict(row) if row else None


def batches_in_group(conn: Connection, group_key: str) -> list[dict[str, Any]]:
    t = T["importbatch"]
    return [dict(r) for r in conn.execute(sa.select(t).where(t.c.group_key == group_key).order_by(t.c.id)).mappings()]


def list_batches(engine: Engine, limit: int = 200) -> pd.DataFrame:
    t = T["importbatch"]
    cols = [t.c.id, t.c.created_at, t.c.file_name, t.c.sheet, t.c.kind, t.c.source, t.c.profile_name, t.c.user,
            t.c.state, t.c.rows_read, t.c.inserted, t.c.updated, t.c.unchanged, t.c.rejected, t.c.status_events,
            t.c.seconds]
    with engine.connect() as conn:
        res = conn.execute(sa.select(*cols).order_by(t.c.id.desc()).limit(limit))
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def insert_issues(conn: Connection, batch_id: int, issues: list[dict[str, Any]]) -> None:
    insert_rows(conn, "importissue", [{"batch_id": batch_id, **i} for i in issues])


def issues_of(engine: Engine, batch_id: int) -> pd.DataFrame:
    with engine.connect() as conn:
        return read_table(conn, "importissue", T["importissue"].c.batch_id == batch_id)


def later_touches(conn: Connection, table_name: str, ids: Sequence[int], batch_ids: Sequence[int]) -> list[int]:
    """Batches other than ``batch_ids`` that last changed any of these rows."""
    t = T[table_name]
    found: set[int] = set()
    for chunk in chunks(list(ids)):
        stmt = sa.select(t.c.last_batch_id).distinct().where(t.c.id.in_(list(chunk)),
                                                                t.c.last_batch_id.not_in(list(batch_ids)))
        found |= {r[0] for r in conn.execute(stmt) if r[0] is not None}
    return sorted(found)


def referenced_by_later(conn: Connection, batch_ids: Sequence[int]) -> list[int]:
    """Committed batches after these whose rows point at rows these batches created."""
    refs = [("person", "workitem", "owner_id"), ("team", "workitem", "team_id"), ("team", "person", "team_id"),
            ("objective", "workitem", "objective_id"), ("objective", "kpi", "objective_id"),
            ("objective", "objective", "parent_id"), ("kpi", "kpireading", "kpi_id"), ("kpi", "incentive", "kpi_id"),
            ("kpi", "expectedeffect", "kpi_id"), ("objective", "expectedeffect", "objective_id"),
            ("person", "objective", "owner_id"), ("person", "kpi", "owner_id"), ("team", "incentive", "team_id")]
    found: set[int] = set()
    for parent, child, col in refs:
        p, c = T[parent].alias("parent_rows"), T[child]
        stmt = (sa.select(c.c.last_batch_id).distinct().join(p, p.c.id == c.c[col])
                .where(p.c.created_batch_id.in_(list(batch_ids)), c.c.last_batch_id.not_in(list(batch_ids))))
        found |= {r[0] for r in conn.execute(stmt) if r[0] is not None}
    return sorted(found)


def later_events_on(conn: Connection, batch_ids: Sequence[int]) -> list[int]:
    """Later batches that added status events or dependencies to items these batches created."""
    w = T["workitem"]
    found: set[int] = set()
    for name in ("statusevent", "dependency"):
        t = T[name]
        stmt = (sa.select(t.c.batch_id).distinct().join(w, w.c.id == t.c.work_item_id)
                .where(w.c.created_batch_id.in_(list(batch_ids)), t.c.batch_id.not_in(list(batch_ids))))
        found |= {r[0] for r in conn.execute(stmt) if r[0] is not None}
    d = T["dependency"]
    stmt = (sa.select(d.c.batch_id).distinct().join(w, w.c.id == d.c.depends_on_item_id)
            .where(w.c.created_batch_id.in_(list(batch_ids)), d.c.batch_id.not_in(list(batch_ids))))
    found |= {r[0] for r in conn.execute(stmt) if r[0] is not None}
    return sorted(found)


def source_state(conn: Connection, source: str) -> list[int]:
    """A cheap signature of a tracker's rows and of the objectives its rows may link to.

    Any insert, update, delete or undo of these rows changes it (every write sets
    ``last_batch_id``; undo restores the earlier value with the earlier row).
    """
    w, o = T["workitem"], T["objective"]
    row = conn.execute(sa.select(sa.func.count(), sa.func.max(w.c.last_batch_id), sa.func.sum(w.c.id),
                                 sa.func.max(w.c.id)).where(w.c.source == source)).one()
    objectives = conn.execute(sa.select(sa.func.count(), sa.func.max(o.c.id), sa.func.max(o.c.last_batch_id))).one()
    return [int(v or 0) for v in (*row, *objectives)]


def recent_batches_of_source(conn: Connection, source: str, limit: int = 20) -> list[dict[str, Any]]:
    t = T["importbatch"]
    stmt = (sa.select(t).where(t.c.source == source, t.c.state == "committed").order_by(t.c.id.desc()).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def copy_issues(conn: Connection, from_batch: int, to_batch: int) -> list[dict[str, Any]]:
    rows = read_table(conn, "importissue", T["importissue"].c.batch_id == from_batch)
    records = rows.drop(columns=["id"]).assign(batch_id=to_batch).astype(object)
    records = records.where(records.notna(), None).to_dict("records")
    insert_rows(conn, "importissue", records)
    return records


def rejected_rows_of(engine: Engine, batch_id: int) -> list[dict[str, Any]]:
    """Original values of a batch's rejected rows with their reasons (for the download)."""
    t = T["importissue"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.row, t.c.column, t.c.message, t.c.raw)
                            .where(t.c.batch_id == batch_id, t.c.raw.is_not(None)).order_by(t.c.row)).all()
    return [{"Row": r.row, "Column": r.column, "Reason": r.message, **(r.raw or {})} for r in rows if r.raw]
