"""What the flow views read: work items, their status events and dependencies.
"""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.store.tables import T, read_frame


def work_items_frame(engine: Engine) -> pd.DataFrame:
    """Every work item with owner, team and objective as names (what the analytics and drill-downs show)."""
    w, p, t, o = T["workitem"], T["person"], T["team"], T["objective"]
    stmt = (sa.select(w.c.id, w.c.source, w.c.external_key, w.c.title, w.c.item_type, w.c.status, w.c.raw_status,
                      w.c.reported_rag, w.c.assessed_rag, p.c.name.label("owner"), t.c.name.label("team"),
                      o.c.code.label("objective"), w.c.created_at, w.c.started_at, w.c.due_at, w.c.done_at,
                      w.c.updated_at, w.c.effort, w.c.depends_on, w.c.source_file, w.c.source_sheet, w.c.source_row)
            .join(p, p.c.id == w.c.owner_id, isouter=True).join(t, t.c.id == w.c.team_id, isouter=True)
            .join(o, o.c.id == w.c.objective_id, isouter=True))
    return read_frame(engine, stmt, dates=("created_at", "started_at", "due_at", "done_at", "updated_at"))


STAMP_WINDOW = pd.Timedelta(minutes=15)  # an import stamps a file without times within this of its batch


def status_events_frame(engine: Engine) -> pd.DataFrame:
    """Status changes per item in time order (the order sort_events checks in one pass).

    ``stamped`` marks events dated by the import itself (the file said nothing of when): they say what the
    status was when imported, not when it changed, so an item whose first event is such a "done" has no
    known finish (core.flow.analytics.timeline).
    """
    e, b = T["statusevent"], T["importbatch"]
    stmt = (sa.select(e.c.work_item_id, e.c.at, e.c.status, b.c.created_at.label("imported_at"))
            .join(b, b.c.id == e.c.batch_id, isouter=True).order_by(e.c.work_item_id, e.c.at, e.c.id))
    frame = read_frame(engine, stmt, dates=("at", "imported_at"))
    imported = frame.pop("imported_at")
    frame["stamped"] = (frame["at"] <= imported) & (frame["at"] >= imported - STAMP_WINDOW)
    return frame


def dependencies_frame(engine: Engine) -> pd.DataFrame:
    """What each item waits on: another item, or a whole team by name."""
    d, t = T["dependency"], T["team"]
    return read_frame(engine, sa.select(d.c.work_item_id, d.c.depends_on_item_id, d.c.depends_on_key,
                                    d.c.depends_on_team_id, t.c.name.label("depends_on_team"))
                  .join(t, t.c.id == d.c.depends_on_team_id, isouter=True))
