"""Who is using the app: the sign-in forms (local accounts or OIDC) and the viewer of this session.

Rights are re-read from the database on every rerun (core.accounts.signin.check_session), so a
revoked right or a reset password takes effect at the next click.
"""
from __future__ import annotations

import os

import streamlit as st
from sqlalchemy.engine import Engine

from core.accounts import auth, signin
from core.accounts.auth import Viewer
from core.errors import ThroughlineError
from core.store.models import utcnow
from core.text import inert
from ui.cache import engine


def viewer() -> Viewer:
    """The signed-in viewer; page_setup has already made sure there is one."""
    return st.session_state.get("viewer") or auth.LOCAL_OWNER


def signed_in_viewer() -> Viewer:
    """The viewer for this session, or a sign-in form (and stop) when there is none."""
    try:
        mode = auth.auth_mode(st.get_option("server.address"))
    except ThroughlineError as exc:
        st.error(str(exc))
        st.stop()
    if mode == "none":
        st.session_state["viewer"] = auth.LOCAL_OWNER
        return auth.LOCAL_OWNER
    current = st.session_state.get("viewer")
    if current is not None and mode == "local" and auth.session_expired(st.session_state.get("signed_in_at")):
        _end_session(current, "session expired", "Your session expired; sign in again.")
        current = None
    if current is not None:  # rights and validity as the database has them now, on every rerun
        current = _recheck(current)
    if current is None:
        current = _oidc_viewer() if mode == "oidc" else _local_sign_in()
    with st.sidebar:
        st.caption(f"Signed in as **{inert(current.username)}** · {current.role}"
                   + (f" · {inert(current.team)}" if current.team else ""))
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            auth.record_logout(engine(), current)
            st.session_state.pop("viewer", None)
            if mode == "oidc":
                st.logout()
            st.rerun()
    return current


def _recheck(current: Viewer) -> Viewer | None:
    """The session's viewer with its account's current rights, or None (and a note) when the session ended."""
    check = signin.check_session(engine(), current, st.session_state.get("signed_in_at"),
                                 st.session_state.get("auth_version"))
    if check.viewer is None:
        _end_session(current, "session ended: account changed", check.ended or "Sign in again.")
        return None
    st.session_state["viewer"], st.session_state["auth_version"] = check.viewer, check.version
    return check.viewer


def _end_session(current: Viewer, reason: str, note: str) -> None:
    auth.record_logout(engine(), current, reason)
    for name in ("viewer", "auth_version", "signed_in_at"):
        st.session_state.pop(name, None)
    st.session_state["login_note"] = note


def _client() -> str:
    """The client's address for sign-in throttling; behind a proxy, the header it sets (when configured)."""
    header = os.environ.get("THROUGHLINE_CLIENT_IP_HEADER", "").strip()
    if header:
        forwarded = str(st.context.headers.get(header) or "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    address = getattr(st.context, "ip_address", None)
    return address if isinstance(address, str) and address else "unknown"


def _local_sign_in() -> Viewer:
    st.title("Throughline")
    eng = engine()
    if not auth.has_users(eng):
        st.info("No accounts yet. Create the first admin (or run `python -m core users add NAME --role admin`).")
        with st.form("first_admin"):
            name = st.text_input("Admin user name", key="first_admin_name")
            pw = st.text_input("Password (at least 10 characters)", type="password", key="first_admin_pw")
            again = st.text_input("Password again", type="password", key="first_admin_pw2")
            if st.form_submit_button("Create admin", type="primary"):
                if pw != again:
                    st.error("The two passwords differ.")
                else:
                    _sign_in(eng, name, pw, first_admin=True)
        st.stop()
    if note := st.session_state.pop("login_note", None):
        st.info(note)
    with st.form("sign_in"):
        name = st.text_input("User name", key="login_name")
        pw = st.text_input("Password", type="password", key="login_pw")
        if st.form_submit_button("Sign in", type="primary"):
            _sign_in(eng, name, pw)
    st.stop()


def _sign_in(eng: Engine, name: str, pw: str, *, first_admin: bool = False) -> None:
    """Sign in (creating the first admin first, when asked): a session on success, the one message on failure."""
    try:
        if first_admin:
            auth.add_user(eng, name, pw, "admin", None)
        found = signin.authenticate(eng, name, pw, client=_client())  # the first admin's maker is signed in at once
    except ThroughlineError as exc:
        st.error(str(exc))
    else:
        _start_session(found)
        st.rerun()


def _oidc_viewer() -> Viewer:
    if not getattr(st.user, "is_logged_in", False):
        st.title("Throughline")
        st.button("Sign in with your organisation account", on_click=st.login, type="primary")
        st.stop()
    try:
        found = auth.viewer_for_email(engine(), str(st.user.get("email") or ""))
    except ThroughlineError as exc:
        st.error(str(exc))
        st.button("Sign out", on_click=st.logout)
        st.stop()
    _start_session(found)
    return found


def _start_session(found: Viewer) -> None:
    """The session now belongs to ``found``, from this moment (the session's age counts from here)."""
    st.session_state["viewer"], st.session_state["signed_in_at"] = found, utcnow()


def actor() -> Viewer | str:
    """What core write functions get: the signed-in Viewer (rights checked in core); without accounts, the
    name of the person chosen on My work (the local owner of the machine may do everything)."""
    current = viewer()
    return acting_user() if current.username == "local user" else current


def acting_user() -> str:
    """The name the audit trail records: the signed-in user; without accounts (auth mode none, one person on
    their own machine), the person chosen on My work, else "local user"."""
    current = viewer()
    if current.username == "local user" and st.session_state.get("acting_user"):
        return str(st.session_state["acting_user"])
    return current.username
