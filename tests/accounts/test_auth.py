"""Accounts: hashes only, lockout, expiry, the three login modes, the users CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from core.accounts import auth, signin
from core.errors import ThroughlineError
from core.store import tables
from core.store.models import utcnow

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def _audit_actions(engine) -> list[str]:
    with engine.connect() as conn:
        return tables.read_table(conn, "auditevent")["action"].tolist()


def test_only_a_hash_is_stored_and_the_right_password_signs_in(engine) -> None:
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    with engine.connect() as conn:
        users = tables.read_table(conn, "user")
        audit = tables.read_table(conn, "auditevent")
    stored = users.iloc[0]
    assert stored["password_hash"].startswith("$argon2id$")
    assert not any(PASSWORD in str(v) for v in users.to_numpy().ravel())
    assert not any(PASSWORD in str(v) for v in audit.to_numpy().ravel())
    viewer = signin.authenticate(engine, "BOSS", PASSWORD)  # user names are matched case-insensitively
    assert viewer == auth.Viewer("boss", "admin")
    assert _audit_actions(engine) == ["create", "login"]


def test_five_failures_lock_the_account_until_the_lock_expires(engine) -> None:
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    now = utcnow()
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.LoginFailed, match="Wrong user name or password"):
            signin.authenticate(engine, "boss", "guess-guess-guess", now=now)
    with pytest.raises(auth.LoginFailed, match="too many failed attempts"):  # right password, still waiting
        signin.authenticate(engine, "boss", PASSWORD, now=now + timedelta(seconds=10))
    later = now + timedelta(minutes=auth.LOCK_MINUTES + 1)
    assert signin.authenticate(engine, "boss", PASSWORD, now=later).username == "boss"
    actions = _audit_actions(engine)
    assert actions.count("login_failed") == 5 and actions.count("login_refused") == 1 and actions[-1] == "login"
    with pytest.raises(auth.LoginFailed, match="Wrong user name or password"):
        signin.authenticate(engine, "nobody", PASSWORD)  # same message: names are not revealed


def test_sessions_expire() -> None:
    now = utcnow()
    assert not auth.session_expired(now - timedelta(hours=1), now, hours=8)
    assert auth.session_expired(now - timedelta(hours=9), now, hours=8)
    assert auth.session_expired(None, now)


@pytest.mark.parametrize("address, env, expected", [
    ("127.0.0.1", "", "none"), ("localhost", "", "none"), ("::1", "", "none"), ("0.0.0.0", "", "local"),
    ("10.1.2.3", "oidc", "oidc"), ("127.0.0.1", "local", "local"),
])
def test_auth_mode_defaults(monkeypatch, address, env, expected) -> None:
    monkeypatch.setenv("THROUGHLINE_AUTH", env)
    assert auth.auth_mode(address) == expected


@pytest.mark.parametrize("address", ["0.0.0.0", "", None, "192.168.1.10", "::"])
def test_auth_none_is_refused_off_loopback(monkeypatch, address) -> None:
    monkeypatch.setenv("THROUGHLINE_AUTH", "none")
    with pytest.raises(ThroughlineError, match="Refusing to start without accounts.*python -m core users add"):
        auth.auth_mode(address)


def test_rules_for_accounts(engine) -> None:
    with pytest.raises(ThroughlineError, match="first account must be an admin"):
        auth.add_user(engine, "e", PASSWORD, "executive", None)
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    with pytest.raises(auth.AccessDenied):
        auth.add_user(engine, "x", PASSWORD, "executive", None)  # after the first: admins only
    with pytest.raises(ThroughlineError, match="at least 10 characters"):
        auth.add_user(engine, "short", "abc", "executive", auth.Viewer("boss", "admin"))
    with pytest.raises(ThroughlineError, match="last admin"):
        auth.set_role(engine, "boss", "executive", auth.Viewer("boss", "admin"))
    with pytest.raises(auth.AccessDenied):
        auth.reset_password(engine, "boss", PASSWORD + "!", auth.Viewer("eve", "executive"))


def test_oidc_email_maps_to_a_local_account(engine) -> None:
    auth.add_user(engine, "boss", None, "admin", None, email="Boss@Example.org")
    assert auth.viewer_for_email(engine, "boss@example.org").role == "admin"
    with pytest.raises(auth.AccessDenied, match="no active Throughline account for eve@example.org"):
        auth.viewer_for_email(engine, "eve@example.org")
    with pytest.raises(auth.LoginFailed):
        signin.authenticate(engine, "boss", "")  # an OIDC-only account has no local password


def _cli(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", "users", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "DATABASE_URL": db_url}, timeout=120)


def test_users_cli(engine, db_url) -> None:
    from core.importing.service import import_path
    from tests.conftest import GMPP

    import_path(engine, GMPP, user="t")  # its departments become teams a manager can run
    assert _cli(db_url, "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    team = tables.teams_frame(engine)["name"].iloc[0]
    added = _cli(db_url, "add", "mia", "--role", "manager", "--team", team, "--own-team-only", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    listed = json.loads(_cli(db_url, "list", "--json").stdout)
    assert [(u["username"], u["role"], u["team"], u["scope_own_team"]) for u in listed] == [
        ("boss", "admin", None, False), ("mia", "manager", team, True)]
    assert all("password_hash" not in u for u in listed) and PASSWORD not in json.dumps(listed)
    assert _cli(db_url, "set-role", "mia", "--role", "executive").returncode == 0
    assert signin.authenticate(engine, "mia", PASSWORD).role == "executive"
    assert _cli(db_url, "reset-password", "mia", "--password-stdin", stdin="a brand new password\n").returncode == 0
    assert signin.authenticate(engine, "mia", "a brand new password").username == "mia"
    bad = _cli(db_url, "add", "zed", "--role", "manager", "--password-stdin", stdin=PASSWORD + "\n")
    assert bad.returncode == 2 and "needs a team" in bad.stderr and "Traceback" not in bad.stderr
    no_tty = _cli(db_url, "reset-password", "mia", stdin="")
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
