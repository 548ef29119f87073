"""Signing in and staying signed in: throttled password checks, and the per-rerun look at the account.

Every failure, whether the name is unknown, the password wrong or the client or account must wait,
gets the one message ``core.accounts.auth.SIGN_IN_FAILED``, so the form never tells which names exist. A
session carries its account's ``auth_version``; each rerun re-reads one indexed row and either keeps
the viewer, gives it its new rights, or ends the session (password reset, account switched off).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from sqlalchemy.engine import Connection, Engine

from core.accounts import auth
from core.accounts import queries as account_queries
from core.accounts.throttle import THROTTLE, backoff
from core.store import tables, writes
from core.store.models import utcnow

_DUMMY_HASH = PasswordHasher().hash("not the password of anyone")  # unknown names cost the same time


@dataclass(frozen=True)
class SessionCheck:
    """A rerun's look at the account: the viewer with its current rights, or why the session ended."""

    viewer: auth.Viewer | None
    version: int | None = None
    ended: str | None = None


def authenticate(engine: Engine, username: str, password: str, now: datetime | None = None,
                 client: str | None = None) -> auth.Viewer:
    """A viewer for the right password. Unknown names, wrong passwords and waits all get auth.SIGN_IN_FAILED.

    Throttled per client address and per (address, name) in memory, and per account in the database
    (shared by replicas); failures are committed before the error is raised (a rollback would forget them).
    """
    now, client = now or utcnow(), (client or "unknown")
    name = (username or "").strip().casefold()
    keys = [(str(engine.url), "client", client), (str(engine.url), "account", client, name)]
    if THROTTLE.waiting(keys, now):
        with engine.begin() as conn:
            tables.audit(conn, user=(username or "")[:80], action="login_refused", entity="user",
                       detail=f"throttled ({client})")
        raise auth.LoginFailed(auth.SIGN_IN_FAILED)
    failure: str | None = None
    with engine.begin() as conn:
        users = account_queries.users_frame(conn)
        match = users[users["username"].str.casefold() == name]
        if match.empty:
            auth._verify(_DUMMY_HASH, password)
            tables.audit(conn, user=(username or "")[:80], action="login_failed", entity="user",
                       detail="unknown user name")
            failure = auth.SIGN_IN_FAILED
        else:
            user, failure = match.iloc[0], auth.SIGN_IN_FAILED
            found = _account_attempt(conn, user, password, now)
            if isinstance(found, auth.Viewer):
                THROTTLE.success(keys[1])
                return found
            failure = found
    THROTTLE.failure(keys[0], auth.CLIENT_FAILURES, now)
    THROTTLE.failure(keys[1], auth.MAX_FAILURES, now)
    raise auth.LoginFailed(failure)


def _account_attempt(conn: Connection, user: pd.Series, password: str, now: datetime) -> auth.Viewer | str:
    """One attempt on an existing account: its viewer, or the message (the same as for unknown names)."""
    uid, failures, level = int(user["id"]), int(user["failed_logins"] or 0), int(user["lock_level"] or 0)
    locked = user["locked_until"]
    if locked is not None and not pd.isna(locked):
        if pd.Timestamp(locked) > pd.Timestamp(now):
            auth._verify(_DUMMY_HASH, password)
            tables.audit(conn, user=user["username"], action="login_refused", entity="user", entity_id=uid,
                       detail="account waiting after repeated failures")
            return auth.SIGN_IN_FAILED
        failures = 0  # the lock is over: the count starts again (the next lock lasts longer)
        writes.update_rows(conn, "user", [(uid, {"failed_logins": 0, "locked_until": None})])
    if not auth._verify(user["password_hash"], password):
        failures += 1
        values: dict[str, Any] = {"failed_logins": failures}
        if failures >= auth.ACCOUNT_FAILURES:
            level += 1
            values.update(lock_level=level, locked_until=now + backoff(level, timedelta(minutes=1),
                                                                       timedelta(minutes=auth.LOCK_MINUTES)))
        writes.update_rows(conn, "user", [(uid, values)])
        tables.audit(conn, user=user["username"], action="login_failed", entity="user", entity_id=uid,
                   detail=f"failure {failures}" + (", account waits" if "locked_until" in values else ""))
        return auth.SIGN_IN_FAILED
    if not bool(user["active"]):  # told only to whoever knows the password
        return "This account is switched off; ask an admin."
    writes.update_rows(conn, "user", [(uid, {"failed_logins": 0, "locked_until": None, "lock_level": 0})])
    tables.audit(conn, user=user["username"], action="login", entity="user", entity_id=uid)
    return auth._viewer(conn, user)


def check_session(engine: Engine, viewer: auth.Viewer, signed_in_at: datetime | None,
                  version: int | None) -> SessionCheck:
    """Every rerun: the account's rights and validity as the database has them now (one indexed row).

    A changed version (role, team, scope) gives the viewer its new rights at once; a password reset or a
    switched-off account ends every session that began before it.
    """
    with engine.connect() as conn:
        row = account_queries.user_session_row(conn, viewer.username)
        if row is None:
            return SessionCheck(None, None, "Your account no longer exists; ask an admin.")
        if not bool(row["active"]):
            return SessionCheck(None, None, "Your account was switched off; ask an admin.")
        valid_after = row["sessions_valid_after"]
        if valid_after is not None and (signed_in_at is None or signed_in_at < valid_after):
            return SessionCheck(None, None, "Your password was reset or your account changed; sign in again.")
        current = int(row["auth_version"] or 0)
        if version == current:
            return SessionCheck(viewer, current)
        return SessionCheck(auth._viewer(conn, auth._user(conn, viewer.username)), current)
