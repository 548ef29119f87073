"""Accounts, roles and team scoping, enforced in core (pages only ask).

Roles (DESIGN.md): an *executive* reads everything and writes nothing; a *manager*
reads everything or only their own team (``scope_own_team``) and writes only their
own team's rows, the objectives and KPIs they own, and their own imports; an *admin*
does everything, including users, mapping profiles and alignment rules.

Login modes (``THROUGHLINE_AUTH``): ``local`` (accounts with argon2 password hashes,
lockout, expiring sessions), ``oidc`` (Streamlit's ``st.login``; the e-mail maps to a
local account) and ``none`` (one person on their own machine: only on a loopback
address). Without the variable the mode is ``none`` on loopback and ``local`` elsewhere.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from core.accounts import queries as account_queries
from core.errors import ThroughlineError
from core.store import tables, writes
from core.store.models import ROLES, utcnow
from core.store.values import name_key

MODES = ("none", "local", "oidc")
MAX_FAILURES = 5  # from one client address on one name, then it waits (core.accounts.throttle)
CLIENT_FAILURES = 20  # from one client address over all names (password spraying)
ACCOUNT_FAILURES = 20  # on one account from any address (several guessers), then the account itself waits
LOCK_MINUTES = 15  # the longest wait
MIN_PASSWORD = 10
SIGN_IN_FAILED = ("Wrong user name or password, or too many failed attempts: check both and try again "
                  "(after several failures, wait a few minutes).")
_hasher = PasswordHasher()


class AccessDenied(ThroughlineError):
    """The signed-in user may not do this; nothing was changed."""


class LoginFailed(ThroughlineError):
    """Wrong name or password, a locked or inactive account (the message never says which name exists)."""


@dataclass(frozen=True)
class Viewer:
    """Who is acting: every write and every team-scoped read takes one."""

    username: str
    role: str
    team: str | None = None  # the team's name
    team_id: int | None = None
    scope_own_team: bool = False
    person: str | None = None  # the Person this account is (owner of objectives, KPIs, signals)

    @property
    def scope(self) -> str | None:
        """The only team this viewer may read, or None for everything."""
        return self.team if self.role == "manager" and self.scope_own_team else None


LOCAL_OWNER = Viewer("local user", "admin")  # auth mode none: one person on their own machine


# --------------------------------------------------------------------------- configuration
def is_loopback(address: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost; an empty address means every interface (not loopback)."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[] ")).is_loopback
    except ValueError:
        return False


def auth_mode(address: str | None) -> str:
    """The configured mode; refuses ``none`` anywhere but loopback with a message saying what to do."""
    raw = os.environ.get("THROUGHLINE_AUTH", "").strip().lower()
    mode = raw or ("none" if is_loopback(address) else "local")
    if mode not in MODES:
        raise ThroughlineError(f"THROUGHLINE_AUTH={raw!r} is not one of {', '.join(MODES)}.")
    if mode == "none" and not is_loopback(address):
        raise ThroughlineError(
            f"Refusing to start without accounts on address {address or '(all interfaces)'}: THROUGHLINE_AUTH=none "
            "is only allowed on 127.0.0.1. Set THROUGHLINE_AUTH=local and create the first admin with "
            "`python -m core users add NAME --role admin`, or use THROUGHLINE_AUTH=oidc (see the README).")
    return mode


def session_hours() -> float:
    raw = os.environ.get("THROUGHLINE_SESSION_HOURS", "").strip()
    try:
        return float(raw) if raw else 8.0
    except ValueError:
        return 8.0


def session_expired(signed_in_at: datetime | None, now: datetime | None = None, hours: float | None = None) -> bool:
    if signed_in_at is None:
        return True
    return (now or utcnow()) - signed_in_at > timedelta(hours=hours if hours is not None else session_hours())


# --------------------------------------------------------------------------- accounts
def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ThroughlineError(f"A password needs at least {MIN_PASSWORD} characters.")
    return _hasher.hash(password)


def add_user(engine: Engine, username: str, password: str | None, role: str, actor: Viewer | None,
             team: str | None = None, email: str | None = None, display_name: str | None = None,
             scope_own_team: bool = False) -> int:
    """Create an account (admins only, or anyone while there is none: the first admin)."""
    username = (username or "").strip()
    if not username:
        raise ThroughlineError("A user needs a name.")
    if role not in ROLES:
        raise ThroughlineError(f"The role must be one of {', '.join(ROLES)}, not '{role}'.")
    with engine.begin() as conn:
        users = account_queries.users_frame(conn)
        if len(users):
            require_admin(actor)
        elif role != "admin":
            raise ThroughlineError("The first account must be an admin.")
        if username.casefold() in set(users["username"].str.casefold()):
            raise ThroughlineError(f"There is already a user '{username}'.")
        team_id = _team_id(conn, team)
        if role == "manager" and team_id is None:
            raise ThroughlineError("A manager needs a team (--team NAME).")
        values = {"username": username, "email": (email or "").strip() or None,
                  "display_name": (display_name or "").strip() or None, "role": role, "team_id": team_id,
                  "scope_own_team": bool(scope_own_team), "active": True, "created_at": utcnow(),
                  "password_hash": hash_password(password) if password is not None else None}
        user_id = tables.insert_returning_id(conn, "user", values)
        tables.audit(conn, user=actor.username if actor else username, action="create", entity="user",
                   entity_id=user_id, after={k: v for k, v in values.items()
                                             if k not in ("password_hash", "created_at")})
    return user_id


def set_role(engine: Engine, username: str, role: str, actor: Viewer | None, team: str | None = None,
             scope_own_team: bool | None = None) -> None:
    require_admin(actor)
    if role not in ROLES:
        raise ThroughlineError(f"The role must be one of {', '.join(ROLES)}, not '{role}'.")
    with engine.begin() as conn:
        user = _user(conn, username)
        values: dict[str, Any] = {"role": role}
        if team is not None:
            values["team_id"] = _team_id(conn, team)
        if scope_own_team is not None:
            values["scope_own_team"] = bool(scope_own_team)
        if role == "manager" and values.get("team_id", user["team_id"]) is None:
            raise ThroughlineError("A manager needs a team (--team NAME).")
        if user["role"] == "admin" and role != "admin" and _admins(conn) <= 1:
            raise ThroughlineError("This is the last admin; make another admin first.")
        writes.update_rows(conn, "user", [(int(user["id"]), values)])
        account_queries.bump_auth_version(conn, int(user["id"]))  # every open session gets the new rights on its next rerun
        tables.audit(conn, user=actor.username if actor else None, action="edit", entity="user",
                   entity_id=int(user["id"]), before={k: _plain(user[k]) for k in values},
                   after={k: _plain(v) for k, v in values.items()})


def reset_password(engine: Engine, username: str, password: str, actor: Viewer | None) -> None:
    """Admins reset anyone's password (and unlock); a user may change their own. Every session of the user ends."""
    if actor is None or (actor.role != "admin" and actor.username != username):
        raise AccessDenied("Only an admin can reset another user's password.")
    with engine.begin() as conn:
        user = _user(conn, username)
        writes.update_rows(conn, "user", [(int(user["id"]), {"password_hash": hash_password(password),
                                                           "failed_logins": 0, "locked_until": None,
                                                           "lock_level": 0})])
        account_queries.bump_auth_version(conn, int(user["id"]), end_sessions_at=utcnow())
        tables.audit(conn, user=actor.username, action="reset_password", entity="user", entity_id=int(user["id"]))


def set_active(engine: Engine, username: str, active: bool, actor: Viewer | None) -> None:
    """Switch an account off (every session ends at its next rerun) or on again. Admins only."""
    require_admin(actor)
    with engine.begin() as conn:
        user = _user(conn, username)
        if not active and user["role"] == "admin" and bool(user["active"]) and _admins(conn) <= 1:
            raise ThroughlineError("This is the last admin; make another admin first.")
        writes.update_rows(conn, "user", [(int(user["id"]), {"active": bool(active)})])
        account_queries.bump_auth_version(conn, int(user["id"]), end_sessions_at=None if active else utcnow())
        tables.audit(conn, user=actor.username if actor else None, action="edit", entity="user",
                   entity_id=int(user["id"]), before={"active": bool(user["active"])}, after={"active": bool(active)})


def list_users(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        users = account_queries.users_frame(conn)
    return users[["username", "display_name", "email", "role", "team", "scope_own_team", "active", "failed_logins",
                  "locked_until", "created_at"]]


def has_users(engine: Engine) -> bool:
    with engine.connect() as conn:
        return len(account_queries.users_frame(conn)) > 0


def viewer_for_email(engine: Engine, email: str) -> Viewer:
    """OIDC: the local account whose e-mail the identity provider vouched for."""
    with engine.begin() as conn:
        users = account_queries.users_frame(conn)
        match = users[users["email"].fillna("").str.casefold() == (email or "").strip().casefold()]
        if match.empty or not bool(match.iloc[0]["active"]):
            raise AccessDenied(f"There is no active Throughline account for {email}; ask an admin to add one "
                               f"(`python -m core users add NAME --email {email} --role executive`).")
        user = match.iloc[0]
        tables.audit(conn, user=user["username"], action="login", entity="user", entity_id=int(user["id"]),
                   detail="oidc")
        return _viewer(conn, user)


def record_logout(engine: Engine, viewer: Viewer, reason: str = "signed out") -> None:
    with engine.begin() as conn:
        tables.audit(conn, user=viewer.username, action="logout", entity="user", detail=reason)


def _verify(password_hash: Any, password: str) -> bool:
    if not isinstance(password_hash, str) or not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _viewer(conn: Connection, user: pd.Series) -> Viewer:
    people = tables.name_lookup(conn, "person")
    person = None
    for candidate in (user["display_name"], user["username"]):
        if isinstance(candidate, str) and name_key(candidate) in people:
            person = " ".join(candidate.split())
            break
    team = user["team"] if isinstance(user["team"], str) else None
    return Viewer(str(user["username"]), str(user["role"]), team, _int(user["team_id"]), bool(user["scope_own_team"]),
                  person)


def _user(conn: Connection, username: str) -> pd.Series:
    users = account_queries.users_frame(conn)
    match = users[users["username"].str.casefold() == (username or "").strip().casefold()]
    if match.empty:
        raise ThroughlineError(f"There is no user '{username}'.")
    return match.iloc[0]


def _admins(conn: Connection) -> int:
    users = account_queries.users_frame(conn)
    return int(((users["role"] == "admin") & users["active"].astype(bool)).sum())


def _team_id(conn: Connection, team: str | None) -> int | None:
    if team is None or not str(team).strip():
        return None
    ident = tables.name_lookup(conn, "team").get(name_key(team))
    if ident is None:
        raise ThroughlineError(f"There is no team '{team}' (teams come from imported people and trackers).")
    return ident


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


# --------------------------------------------------------------------------- permissions
def require_admin(actor: Viewer | None) -> None:
    if actor is None or actor.role != "admin":
        raise AccessDenied("Only an admin can do this.")


def require_writer(actor: Viewer | None) -> None:
    """Executives read; managers and admins write (within their scope)."""
    if actor is None or actor.role not in ("manager", "admin"):
        raise AccessDenied("Your role can read but not change anything.")


def require_team(actor: Viewer | None, teams: set[Any], what: str = "rows") -> None:
    """A manager may change only rows of their own team (or rows with no team)."""
    require_writer(actor)
    assert actor is not None
    if actor.role == "admin":
        return
    others = {t for t in teams if t is not None and not (isinstance(t, float) and pd.isna(t)) and t != actor.team}
    if others:
        raise AccessDenied(f"You manage {actor.team or 'no team'}; these {what} belong to "
                           f"{', '.join(sorted(map(str, others)))}. Nothing was changed.")


def require_owner(actor: Viewer | None, owners: set[Any], what: str) -> None:
    """A manager may change only what they own (objectives, KPIs, signals of their KPIs)."""
    require_writer(actor)
    assert actor is not None
    if actor.role == "admin":
        return
    mine = name_key(actor.person) if actor.person else None
    if any(o is None or (isinstance(o, float) and pd.isna(o)) or name_key(o) != mine for o in owners):
        raise AccessDenied(f"You can change only {what} you own. Nothing was changed.")


def require_own_batch(actor: Viewer | None, batch_user: str | None) -> None:
    """Undo: managers undo only their own imports and edits."""
    require_writer(actor)
    assert actor is not None
    if actor.role != "admin" and (batch_user or "") != actor.username:
        raise AccessDenied(f"This batch was made by {batch_user or 'someone else'}; you can undo only your own "
                           "imports and edits.")


def scope_items(items: pd.DataFrame, scope: str | None, team_column: str = "team") -> pd.DataFrame:
    """The rows a team-scoped manager may read: their team's items only."""
    if scope is None or items.empty:
        return items
    return items[items[team_column] == scope]


# --------------------------------------------------------------------------- acting users
Actor = Viewer | str | None  # a person signed in to the app, or the CLI or a script (trusted, like an admin); None: nobody named


def actor_name(actor: Actor) -> str | None:
    """The name the audit trail records for an actor."""
    return actor.username if isinstance(actor, Viewer) else actor


def checked(actor: Actor) -> Viewer | None:
    """The viewer whose rights must be checked; None for trusted callers (CLI, scripts, the sample loader).

    The command line runs with the server's own file-system access to the database, so it is as
    trusted as an admin; the app always passes the signed-in Viewer.
    """
    return actor if isinstance(actor, Viewer) else None


def scope_flow(items: pd.DataFrame, events: pd.DataFrame, deps: pd.DataFrame, scope: str | None
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Work items, their status events and dependencies as a team-scoped manager may read them."""
    if scope is None:
        return items, events, deps
    kept = scope_items(items, scope)
    ids = set(kept["id"])
    return kept, events[events["work_item_id"].isin(ids)], deps[deps["work_item_id"].isin(ids)]


def visible_batches(batches: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Import batches a viewer may open (their rejected rows hold raw rows): a scoped manager sees their own."""
    return batches[batches["user"] == viewer.username] if viewer.scope is not None else batches


def visible_audit(audit: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Admins and executives read the whole audit trail; managers read their own entries."""
    return audit if viewer.role in ("admin", "executive") else audit[audit["user"] == viewer.username]


def require_team_id(actor: Actor, team_id: int) -> None:
    """Writes to one team's tracker: that team's manager or an admin (trusted callers pass)."""
    viewer = checked(actor)
    if viewer is None:
        return
    require_writer(viewer)
    if viewer.role != "admin" and viewer.team_id != team_id:
        raise AccessDenied(f"You manage {viewer.team or 'no team'}; you can change only its items. "
                           "Nothing was changed.")
