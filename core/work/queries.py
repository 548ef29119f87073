"""The team tracker's queries (My work): a team's items, its sources and keys, notes and stale days.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store.tables import T, chunks, live, read_frame


def item_team(w: sa.Table, p: sa.Table) -> sa.ColumnElement[int]:
    """An item's team: its own, else its owner's (trackers without a team column)."""
    return sa.func.coalesce(w.c.team_id, p.c.team_id)


def tracker_items_frame(engine: Engine, team_id: int, source: str | None = None) -> pd.DataFrame:
    """A team's work items with names, codes and the time of their latest status event (My work, its export)."""
    w, p, t, o, e = T["workitem"], T["person"], T["team"], T["objective"], T["statusevent"]
    last_event = (sa.select(e.c.work_item_id, sa.func.max(e.c.at).label("last_event_at"))
                  .group_by(e.c.work_item_id).subquery())
    stmt = (sa.select(w.c.id, w.c.source, w.c.external_key, w.c.title, w.c.item_type, p.c.name.label("owner"),
                      w.c.status, w.c.raw_status, w.c.reported_rag, w.c.rag_note, w.c.assessed_rag, w.c.priority,
                      w.c.description, o.c.code.label("objective"), w.c.due_at, w.c.effort, w.c.depends_on,
                      w.c.created_at, w.c.started_at, w.c.done_at, w.c.updated_at, last_event.c.last_event_at,
                      t.c.name.label("team"), w.c.attributes, w.c.source_row)
            .join(p, p.c.id == w.c.owner_id, isouter=True).join(t, t.c.id == w.c.team_id, isouter=True)
            .join(o, o.c.id == w.c.objective_id, isouter=True)
            .join(last_event, last_event.c.work_item_id == w.c.id, isouter=True)
            .where(item_team(w, p) == team_id).order_by(w.c.source, w.c.source_row, w.c.id))
    if source is not None:
        stmt = stmt.where(w.c.source == source)
    return read_frame(engine, stmt, dates=("due_at", "created_at", "started_at", "done_at", "updated_at", "last_event_at"))


def tracker_teams_frame(engine: Engine) -> pd.DataFrame:
    t = T["team"]
    return read_frame(engine, sa.select(t.c.id, t.c.name, t.c.stale_days).where(live("team")).order_by(t.c.name))


def item_team_ids(conn: Connection, item_ids: Sequence[int]) -> dict[int, int | None]:
    """item id → the id of the team it belongs to (its own, else its owner's)."""
    w, p = T["workitem"], T["person"]
    out: dict[int, int | None] = {}
    for chunk in chunks(list(item_ids)):
        stmt = (sa.select(w.c.id, item_team(w, p)).join(p, p.c.id == w.c.owner_id, isouter=True)
                .where(w.c.id.in_(list(chunk))))
        out.update({int(i): team for i, team in conn.execute(stmt)})
    return out


def team_sources(conn: Connection, team_id: int) -> list[tuple[str, int]]:
    """(source, items) of a team's items, the biggest tracker first."""
    w, p = T["workitem"], T["person"]
    stmt = (sa.select(w.c.source, sa.func.count()).join(p, p.c.id == w.c.owner_id, isouter=True)
            .where(item_team(w, p) == team_id).group_by(w.c.source).order_by(sa.func.count().desc(), w.c.source))
    return [(s, int(n)) for s, n in conn.execute(stmt)]


def source_value_counts(conn: Connection, source: str, *columns: str) -> list[tuple[object, ...]]:
    """Distinct values of some workitem columns in one tracker with their counts, the most common first."""
    w = T["workitem"]
    cols = [w.c[c] for c in columns]
    stmt = (sa.select(*cols, sa.func.count().label("n")).where(w.c.source == source).group_by(*cols)
            .order_by(sa.func.count().desc()))
    return [tuple(r) for r in conn.execute(stmt)]


def source_keys(conn: Connection, source: str) -> list[str]:
    w = T["workitem"]
    return [r[0] for r in conn.execute(sa.select(w.c.external_key).where(w.c.source == source))]


def latest_item_notes(engine: Engine, item_ids: Sequence[int]) -> pd.DataFrame:
    """The last note written with an in-app update of each item (work_item_id, note, at, user)."""
    a = T["auditevent"]
    frames = []
    with engine.connect() as conn:
        for chunk in chunks(list(item_ids)):
            res = conn.execute(sa.select(a.c.entity_id, a.c.detail, a.c.at, a.c.user)
                               .where(a.c.entity == "workitem", a.c.entity_id.in_(list(chunk)),
                                      a.c.action.in_(("edit", "quick_update")), a.c.detail.is_not(None))
                               .order_by(a.c.id.desc()))
            frames.append(pd.DataFrame([tuple(r) for r in res.fetchall()],
                                       columns=["work_item_id", "note", "at", "user"]))
    if not frames:
        return pd.DataFrame(columns=["work_item_id", "note", "at", "user"])
    return pd.concat(frames, ignore_index=True).drop_duplicates("work_item_id")


def set_team_stale_days(conn: Connection, team_id: int, days: int | None) -> int | None:
    """Returns the previous threshold."""
    t = T["team"]
    before = conn.execute(sa.select(t.c.stale_days).where(t.c.id == team_id)).scalar_one_or_none()
    conn.execute(sa.update(t).where(t.c.id == team_id).values(stale_days=days))
    return before
