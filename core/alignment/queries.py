"""What alignment reads: items with their links, rule candidates, rules, items' teams.
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store.tables import T, chunks, read_frame


def alignment_items_frame(engine: Engine) -> pd.DataFrame:
    """Work items with what alignment needs: objective id, the owner's team as a fallback, kept attributes."""
    w, p, t, o, pt = T["workitem"], T["person"], T["team"], T["objective"], T["team"].alias("owner_team")
    stmt = (sa.select(w.c.id, w.c.source, w.c.external_key, w.c.title, w.c.item_type, w.c.status, w.c.raw_status,
                      w.c.priority, w.c.description, w.c.owner_id, p.c.name.label("owner"),
                      sa.func.coalesce(t.c.name, pt.c.name).label("team"), w.c.objective_id,
                      o.c.code.label("objective"), w.c.effort, w.c.created_at, w.c.done_at, w.c.due_at,
                      w.c.source_file, w.c.source_sheet, w.c.source_row, w.c.attributes)
            .join(p, p.c.id == w.c.owner_id, isouter=True).join(t, t.c.id == w.c.team_id, isouter=True)
            .join(pt, pt.c.id == p.c.team_id, isouter=True).join(o, o.c.id == w.c.objective_id, isouter=True)
            .order_by(w.c.id))
    return read_frame(engine, stmt, dates=("created_at", "done_at", "due_at"))


def rule_candidates(conn: Connection, batch_id: int | None = None) -> pd.DataFrame:
    """Items a rule may match (all, or those a batch created), with the fields rules can test."""
    w, p, t = T["workitem"], T["person"], T["team"]
    stmt = (sa.select(w.c.id, w.c.source, w.c.external_key, w.c.title, w.c.item_type, w.c.raw_status, w.c.priority,
                      w.c.description, w.c.objective_id, p.c.name.label("owner"), t.c.name.label("team"),
                      w.c.source_file, w.c.attributes)
            .join(p, p.c.id == w.c.owner_id, isouter=True).join(t, t.c.id == w.c.team_id, isouter=True))
    if batch_id is not None:
        stmt = stmt.where(w.c.created_batch_id == batch_id)
    res = conn.execute(stmt.order_by(w.c.id))
    return pd.DataFrame([tuple(r) for r in res.fetchall()], columns=list(res.keys()))


def rules_frame(engine_or_conn: Engine | Connection, active_only: bool = False) -> pd.DataFrame:
    """Alignment rules with their objective's code, oldest first (the oldest matching rule wins)."""
    r, o = T["alignmentrule"], T["objective"]
    stmt = (sa.select(r.c.id, r.c.field, r.c.match_type, r.c.pattern, r.c.source, r.c.objective_id,
                      o.c.code.label("objective"), r.c.active, r.c.created_by, r.c.created_at)
            .join(o, o.c.id == r.c.objective_id).order_by(r.c.id))
    if active_only:
        stmt = stmt.where(r.c.active.is_(True))
    if isinstance(engine_or_conn, Engine):
        return read_frame(engine_or_conn, stmt)
    res = engine_or_conn.execute(stmt)
    return pd.DataFrame([tuple(x) for x in res.fetchall()], columns=list(res.keys()))


def item_teams(conn: Connection, item_ids: Sequence[int]) -> dict[int, str | None]:
    """Work item id → its team's name (the item's own team, else its owner's)."""
    w, t, p, pt = T["workitem"], T["team"], T["person"], T["team"].alias("owner_team")
    out: dict[int, str | None] = {}
    for chunk in chunks(list(item_ids)):
        stmt = (sa.select(w.c.id, sa.func.coalesce(t.c.name, pt.c.name))
                .join(t, t.c.id == w.c.team_id, isouter=True).join(p, p.c.id == w.c.owner_id, isouter=True)
                .join(pt, pt.c.id == p.c.team_id, isouter=True).where(w.c.id.in_(list(chunk))))
        out.update({int(i): n for i, n in conn.execute(stmt)})
    return out
