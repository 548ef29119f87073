"""Sessions in page tests stand for real accounts: every rerun re-reads the account (core.accounts.signin.check_session)."""
from __future__ import annotations

from typing import Any

from core.accounts import auth
from core.accounts import queries as account_queries
from core.store import tables
from core.store.models import utcnow
from core.store.values import name_key


def account_for(engine: Any, viewer: auth.Viewer) -> auth.Viewer:
    """Create (once) the account a test session's viewer is, with its role, team, scope and person."""
    with engine.begin() as conn:
        if account_queries.user_session_row(conn, viewer.username) is None:
            team_id = viewer.team_id
            if team_id is None and viewer.team:
                team_id = tables.name_lookup(conn, "team").get(name_key(viewer.team))
            tables.insert_returning_id(conn, "user", {
                "username": viewer.username, "role": viewer.role, "team_id": team_id, "display_name": viewer.person,
                "scope_own_team": viewer.scope_own_team, "active": True, "created_at": utcnow(),
                "failed_logins": 0})
    return viewer
