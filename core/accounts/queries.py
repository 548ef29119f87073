"""Accounts and the audit trail: users, the session row, auth versions, audit listings.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store.tables import T, read_frame
from core.store.values import change_text


def users_frame(conn: Connection) -> pd.DataFrame:
    """Every account with its team's name and what sign-in checks (hash, lock, versions)."""
    u, t = T["user"], T["team"]
    res = conn.execute(sa.select(u.c.id, u.c.username, u.c.email, u.c.display_name, u.c.role, u.c.team_id,
                                 t.c.name.label("team"), u.c.scope_own_team, u.c.password_hash, u.c.failed_logins,
                                 u.c.locked_until, u.c.active, u.c.created_at, u.c.lock_level, u.c.auth_version,
                                 u.c.sessions_valid_after)
                       .join(t, t.c.id == u.c.team_id, isouter=True).order_by(u.c.id))
    return pd.DataFrame([tuple(r) for r in res.fetchall()], columns=list(res.keys()))


def user_session_row(conn: Connection, username: str) -> dict[str, Any] | None:
    """What every rerun re-reads for a signed-in account: one indexed row (version, validity)."""
    u = T["user"]
    row = conn.execute(sa.select(u.c.id, u.c.auth_version, u.c.active, u.c.sessions_valid_after)
                       .where(u.c.username == username)).mappings().first()
    return dict(row) if row else None


def bump_auth_version(conn: Connection, user_id: int, end_sessions_at: datetime | None = None) -> None:
    """Rights or validity changed: in SQL (no lost increment), and optionally void sessions begun before a time."""
    u = T["user"]
    values: dict[str, Any] = {"auth_version": u.c.auth_version + 1}
    if end_sessions_at is not None:
        values["sessions_valid_after"] = end_sessions_at
    conn.execute(sa.update(u).where(u.c.id == user_id).values(values))


def audit_frame(engine: Engine, user: str | None = None, entity: str | None = None, action: str | None = None,
                start: datetime | None = None, end: datetime | None = None, limit: int = 20_000) -> pd.DataFrame:
    """The audit trail, newest first, filtered in SQL (it grows with every edit)."""
    a = T["auditevent"]
    stmt = sa.select(a.c.id, a.c.at, a.c.user, a.c.action, a.c.entity, a.c.entity_id, a.c.before, a.c.after,
                     a.c.detail).order_by(a.c.id.desc()).limit(limit)
    if user:
        stmt = stmt.where(a.c.user == user)
    if entity:
        stmt = stmt.where(a.c.entity == entity)
    if action:
        stmt = stmt.where(a.c.action == action)
    if start is not None:
        stmt = stmt.where(a.c.at >= start)
    if end is not None:
        stmt = stmt.where(a.c.at < end)
    return read_frame(engine, stmt, dates=("at",))


def newest_audit_id(engine: Engine) -> int:
    """The id of the latest audit entry (0 for none): it moves whenever an entry is written.

    Sign-ins, sign-outs and account changes are audited without a new data version (they change no data),
    so a cache of the trail is keyed on this too. One look-up in the primary key's index.
    """
    a = T["auditevent"]
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(a.c.id))).scalar_one() or 0)


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Two picked days as the half-open interval audit_frame filters on: [first 00:00, the day after last 00:00)."""
    start = datetime(first.year, first.month, first.day) if first else None
    end = datetime(last.year, last.month, last.day) + timedelta(days=1) if last else None
    return start, end


def audit_as_text(trail: pd.DataFrame) -> pd.DataFrame:
    """The trail with before and after as text a person reads (core.store.values.change_text); '' when there is none."""
    return trail.assign(before=trail["before"].map(change_text), after=trail["after"].map(change_text))


KEY_OF = {"workitem": "external_key", "objective": "code", "kpi": "code", "importbatch": "file_name",
          "person": "name", "team": "name", "appuser": "username"}  # what a person calls each entity


def with_entity_keys(engine: Engine, trail: pd.DataFrame) -> pd.DataFrame:
    """The trail with ``key``: the item's key, the objective's or KPI's code, the file of a batch, a person's
    name, rather than an internal id (blank where the entity is gone or has no such name)."""
    keys = pd.Series([None] * len(trail), index=trail.index, dtype=object)
    with engine.connect() as conn:
        for entity, column in KEY_OF.items():
            mask = trail["entity"].eq(entity) & trail["entity_id"].notna()
            ids = sorted({int(i) for i in trail.loc[mask, "entity_id"]})
            if not ids or entity not in T:
                continue
            table = T[entity]
            found: dict[int, object] = {}
            for start in range(0, len(ids), 900):  # bound parameters, in chunks SQLite accepts
                chunk = ids[start:start + 900]
                found.update(conn.execute(sa.select(table.c.id, table.c[column]).where(table.c.id.in_(chunk))).all())
            keys[mask] = trail.loc[mask, "entity_id"].map(lambda i: found.get(int(i)))
    out = trail.copy()
    out.insert(out.columns.get_loc("entity_id") if "entity_id" in out else len(out.columns), "key", keys)
    return out


def audit_choices(engine: Engine) -> dict[str, list[str]]:
    """The users, entities and actions the trail holds: the audit page's filter choices."""
    a = T["auditevent"]
    with engine.connect() as conn:
        return {c: sorted(v for (v,) in conn.execute(sa.select(a.c[c]).distinct()) if v)
                for c in ("user", "entity", "action")}
