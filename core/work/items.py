"""The team tracker ("My work"): what a team does to its items instead of keeping a shadow spreadsheet.

Saving the grid, a one-click quick update, closing rows a file no longer has, the team's own
'stale after' threshold and the notes left with updates. Each write is one edit batch
(core.work.saving): audited, undoable from the Import history, scoped to the team it is made through.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts.auth import actor_name, require_team_id
from core.errors import EditRefused, NotFound
from core.importing.plan import split_depends
from core.store import tables
from core.store.values import is_blank, name_key
from core.work import queries as work_queries
from core.work.rows import Values, diff_grid
from core.work.saving import Actor, SaveResult, write

QUICK = {"on_track": "Still on track", "at_risk": "At risk", "blocked": "Blocked", "done": "Done"}


def save_items(engine: Engine, team_id: int, original: pd.DataFrame, edited: pd.DataFrame, actor: Actor,
               source: str | None = None, now: datetime | None = None) -> SaveResult:
    """Save what the grid changed as one edit batch; raises EditRefused (nothing written) on a bad cell."""
    inserts, updates = diff_grid(original, edited)
    expected = {int(r["id"]): r for r in original.to_dict("records") if not is_blank(r.get("id"))}
    return write(engine, team_id, updates, inserts, actor, "My work: saved the grid", now=now, source=source,
                 expected=expected)


def quick_update(engine: Engine, team_id: int, item_id: int, action: str, actor: Actor, note: str | None = None,
                 blocked_by: str | None = None, now: datetime | None = None) -> SaveResult:
    """One click on one of my open items; its 'last updated' always moves (the stale check reads it)."""
    if action not in QUICK:
        raise EditRefused(f"Quick update: '{action}' is not one of {', '.join(QUICK)}.")
    with engine.connect() as conn:
        row = tables.rows_by_id(conn, "workitem", [item_id])
    if row.empty:
        raise NotFound(f"There is no work item {item_id}.")
    status = row.iloc[0]["status"]
    values: Values = {}
    if action == "on_track":
        values = {"reported_rag": "green", **({"status": "in_progress"} if status == "blocked" else {})}
    elif action == "at_risk":
        values = {"reported_rag": "amber"}
    elif action == "blocked":
        values = {"status": "blocked"}
        if blocked_by and blocked_by.strip():
            waits = split_depends(row.iloc[0]["depends_on"])
            if name_key(blocked_by) not in {name_key(w) for w in waits}:
                values["depends_on"] = "; ".join([*waits, blocked_by.strip()])
    elif action == "done":
        values = {"status": "done"}
    note = (note or "").strip() or None
    if action == "blocked" and blocked_by and blocked_by.strip():
        note = f"blocked by {blocked_by.strip()}" + (f": {note}" if note else "")
    return write(engine, team_id, [(item_id, values)], [], actor, f"My work: quick update ({QUICK[action]})",
                 now=now, notes={item_id: note} if note else None, touch=True, action="quick_update")


def close_items(engine: Engine, team_id: int, item_ids: list[int], actor: Actor, note: str | None = None,
                now: datetime | None = None) -> SaveResult:
    """Set items to done (rows that left the team's file, when the user chose to close them)."""
    if not item_ids:
        return SaveResult()
    with engine.connect() as conn:
        rows = tables.rows_by_id(conn, "workitem", item_ids)
    open_ids = [int(i) for i, s in zip(rows["id"], rows["status"]) if s != "done"]
    return write(engine, team_id, [(i, {"status": "done"}) for i in open_ids], [], actor, "My work: closed rows",
                 now=now, notes={i: note for i in open_ids} if note else None)


def set_stale_days(engine: Engine, team_id: int, days: int, actor: Actor) -> None:
    """A team's own 'stale after N days' (1-365); audited."""
    if not 1 <= int(days) <= 365:
        raise EditRefused(f"Stale after: {days} days is outside 1-365.")
    require_team_id(actor, team_id)
    name = actor_name(actor)
    with engine.begin() as conn:
        teams = tables.ids_by(conn, "team", "id")
        if team_id not in teams:
            raise NotFound(f"There is no team {team_id}.")
        before = work_queries.set_team_stale_days(conn, team_id, int(days))
        tables.audit(conn, user=name, action="edit", entity="team", entity_id=team_id,
                     before={"stale_days": before}, after={"stale_days": int(days)})
        tables.bump_data_version(conn)


def latest_notes(engine: Engine, item_ids: list[int]) -> dict[int, str]:
    """The last note left with each item's in-app update, signed and dated, for the quick-update list."""
    notes = work_queries.latest_item_notes(engine, item_ids)
    return {int(i): f"{n} ({u or 'someone'}, {pd.Timestamp(a):%Y-%m-%d})"
            for i, n, a, u in zip(notes["work_item_id"], notes["note"], notes["at"], notes["user"])}
