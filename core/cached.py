"""The only core module that imports Streamlit: the cached engine and loaders keyed on the data version.

Every commit bumps ``data_version`` (core.repo) and every loader takes a
:data:`DataKey` (database URL, data version), so a view never shows data older
than the last import, nor data of another database.
"""
from __future__ import annotations

import os
import re
from typing import Any, Optional, Tuple

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from core import repo
from core.config import database_url
from core.db import make_engine, upgrade_schema

DataKey = Tuple[str, int, Optional[str]]  # database URL, data version, the team a scoped viewer may read


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    eng = make_engine(url)
    upgrade_schema(eng)
    return eng


def engine() -> Engine:
    """One engine per database URL and server process; the schema is upgraded in place on first use."""
    return _engine_for(database_url())


def data_key(scope: str | None = None) -> DataKey:
    """Cached views are keyed by data version *and* the viewer's scope: one user's view never reaches another's."""
    return database_url(), repo.data_version(engine()), scope


@st.cache_data(show_spinner=False, max_entries=8)
def table_counts(key: DataKey) -> dict[str, int]:
    """Rows per table; a scoped viewer (key[2]) gets their team's work items, events and people only."""
    eng = _engine_for(key[0])
    return repo.table_counts(eng) if key[2] is None else repo.team_table_counts(eng, key[2])


@st.cache_data(show_spinner=False, max_entries=8)
def batches(key: DataKey) -> pd.DataFrame:
    return repo.list_batches(_engine_for(key[0]))


@st.cache_data(show_spinner=False, max_entries=8)
def work_item_counts(key: DataKey) -> pd.DataFrame:
    eng = _engine_for(key[0])
    return repo.work_item_counts(eng) if key[2] is None else repo.team_work_item_counts(eng, key[2])


def page_setup(title: str, need: str = "read") -> DataKey:
    """The guard, shared sidebar and page header; returns the key for the page's loaders.

    Every page calls this itself (AppTest and direct URLs run a page without app.py), so a
    page reached by URL is as protected as one reached by the menu. ``need="admin"`` or
    ``"write"`` also refuses viewers whose role cannot use the page.
    """
    current = signed_in_viewer()
    if need == "admin" and current.role != "admin":
        st.title(title)
        st.error("This page is for admins.")
        st.stop()
    if need == "write" and current.role not in ("manager", "admin"):
        st.title(title)
        st.error("Your role (executive) can read every view but not change anything; this page only changes data.")
        st.stop()
    key = data_key(current.scope)
    st.sidebar.caption(f"Throughline · data version {key[1]}")
    st.title(title)
    return key


def viewer() -> Any:
    """The signed-in viewer (core.auth.Viewer); page_setup has already made sure there is one."""
    from core.auth import LOCAL_OWNER

    return st.session_state.get("viewer") or LOCAL_OWNER


def signed_in_viewer() -> Any:
    """The viewer for this session, or a sign-in form (and stop) when there is none."""
    from core import auth
    from core.errors import ThroughlineError

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
        st.caption(f"Signed in as **{_inert(current.username)}** · {current.role}"
                   + (f" · {_inert(current.team)}" if current.team else ""))
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            auth.record_logout(engine(), current)
            st.session_state.pop("viewer", None)
            if mode == "oidc":
                st.logout()
            st.rerun()
    return current


def _recheck(current: Any) -> Any:
    """The session's viewer with its account's current rights, or None (and a note) when the session ended."""
    from core import signin

    check = signin.check_session(engine(), current, st.session_state.get("signed_in_at"),
                                 st.session_state.get("auth_version"))
    if check.viewer is None:
        _end_session(current, "session ended: account changed", check.ended or "Sign in again.")
        return None
    st.session_state["viewer"], st.session_state["auth_version"] = check.viewer, check.version
    return check.viewer


def _end_session(current: Any, reason: str, note: str) -> None:
    from core import auth

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


def _local_sign_in() -> Any:
    from core import auth
    from core.errors import ThroughlineError

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
                    try:
                        auth.add_user(eng, name, pw, "admin", None)
                        found = auth.authenticate(eng, name, pw, client=_client())  # its maker is signed in
                    except ThroughlineError as exc:
                        st.error(str(exc))
                    else:
                        from core.models import utcnow

                        st.session_state["viewer"], st.session_state["signed_in_at"] = found, utcnow()
                        st.rerun()
        st.stop()
    if note := st.session_state.pop("login_note", None):
        st.info(note)
    with st.form("sign_in"):
        name = st.text_input("User name", key="login_name")
        pw = st.text_input("Password", type="password", key="login_pw")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                found = auth.authenticate(eng, name, pw, client=_client())
            except ThroughlineError as exc:
                st.error(str(exc))
            else:
                from core.models import utcnow

                st.session_state["viewer"], st.session_state["signed_in_at"] = found, utcnow()
                st.rerun()
    st.stop()


def _oidc_viewer() -> Any:
    from core import auth
    from core.errors import ThroughlineError

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
    from core.models import utcnow

    st.session_state["viewer"], st.session_state["signed_in_at"] = found, utcnow()
    return found


def _inert(text: Any) -> str:
    from core.text import inert

    return inert(text)


@st.cache_resource(show_spinner="Reading the file…", max_entries=8)
def prepared_file(sha256: str, _data: bytes, file_name: str, header_rows: tuple, kinds: tuple, key: DataKey,
                  include: tuple = ()) -> Any:
    """Read and map an upload once per (content, header rows, kinds, sheets included, data version).

    The data key makes a newly saved profile (which bumps the data version) apply at once.
    """
    url = key[0]
    from core.importing.service import ImportOptions, prepare, profiles_from_db

    options = ImportOptions(header_rows=dict(header_rows), kinds=dict(kinds), include_sheets=set(include))
    return prepare(_data, file_name, options, profiles_from_db(_engine_for(url)))


def show_error(exc: Exception) -> None:
    """A user-facing message for every failure; never a traceback."""
    from core.errors import ThroughlineError

    from core.text import inert, inert_lines

    if isinstance(exc, ThroughlineError):
        st.error(inert_lines(str(exc)))  # messages quote file, sheet, column and cell text
    else:
        st.error(f"Something unexpected went wrong ({inert(type(exc).__name__)}: {inert(exc)}). Nothing was changed.")


def link(page: str, label: str, icon: str | None = None) -> None:
    """``st.page_link`` that degrades to plain text when the page runs on its own (AppTest, a bare script)."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.caption(label)


@st.cache_resource(show_spinner=False, max_entries=4)
def flow_frames(key: DataKey) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Work items, status events and dependencies (shared read-only; analytics never mutate them), as the
    viewer's scope (key[2]) allows."""
    from core.auth import scope_flow

    eng = _engine_for(key[0])
    return scope_flow(repo.work_items_frame(eng), repo.status_events_frame(eng), repo.dependencies_frame(eng),
                      key[2])


@st.cache_resource(show_spinner="Computing flow metrics…", max_entries=16)
def flow_report(key: DataKey, teams: tuple, sources: tuple, kinds: tuple, period: tuple | None = None) -> dict:
    from core.analytics.flow import flow_report as compute

    items, events, deps = flow_frames(key)
    return compute(items, events, deps, teams=list(teams), sources=list(sources), kinds=list(kinds), period=period)


@st.cache_resource(show_spinner=False, max_entries=4)
def kpi_frames(key: DataKey) -> dict[str, pd.DataFrame]:
    eng = _engine_for(key[0])
    return {"kpis": repo.kpis_frame(eng), "readings": repo.readings_frame(eng),
            "segments": repo.segment_readings_frame(eng),
            "incentives": repo.incentives_frame(eng), "effects": repo.effects_frame(eng),
            "objectives": repo.objectives_frame(eng)}


@st.cache_resource(show_spinner="Computing KPI status and conflicts…", max_entries=4)
def kpi_report(key: DataKey) -> dict:
    from core.analytics.kpis import kpi_report as compute

    return compute(**{k: v for k, v in kpi_frames(key).items() if k != "segments"})  # headline series only


@st.cache_resource(show_spinner="Comparing reported status with measurements…", max_entries=4)
def reality(key: DataKey, stale_days: int) -> pd.DataFrame:
    from core.analytics.health import reality_report

    _items, events, _deps = flow_frames(key)
    return reality_report(kpi_report(key), flow_report(key, (), (), ()), events, stale_days)


@st.cache_data(show_spinner=False, max_entries=8)
def signals(key: DataKey) -> pd.DataFrame:
    return repo.signals_frame(_engine_for(key[0]))


def stop_empty(message: str) -> None:
    """Explain why a view is empty, point at the Import page, and stop the page."""
    st.info(message)
    link("pages/import.py", "Import a spreadsheet", ":material/upload_file:")
    st.stop()


@st.cache_resource(show_spinner=False, max_entries=4)
def alignment_frames(key: DataKey) -> dict[str, pd.DataFrame]:
    """Work items with objective ids and kept attributes, objectives, rules (shared read-only)."""
    from core.auth import scope_items

    eng = _engine_for(key[0])
    return {"items": scope_items(repo.alignment_items_frame(eng), key[2]), "objectives": repo.objectives_frame(eng),
            "rules": repo.rules_frame(eng), "people": repo.people_frame(eng)}


@st.cache_resource(show_spinner="Computing alignment…", max_entries=16)
def alignment_report(key: DataKey, teams: tuple, sources: tuple, period: tuple | None) -> dict:
    from core.analytics.alignment import alignment_report as compute, in_period

    frames = alignment_frames(key)
    items = frames["items"]
    if teams:
        items = items[items["team"].isin(teams)]
    if sources:
        items = items[items["source"].isin(sources)]
    if period:
        items = in_period(items, pd.Timestamp(period[0]), pd.Timestamp(period[1]) + pd.Timedelta(days=1))
    report = compute(items, frames["objectives"], kpi_report(key)["objectives"])
    report["items"] = items
    return report


@st.cache_resource(show_spinner="Scoring suggestions…", max_entries=4)
def suggestions(key: DataKey, sources: tuple, limit: int) -> pd.DataFrame:
    from core.analytics.alignment import suggest_objectives

    frames = alignment_frames(key)
    items = frames["items"]
    unlinked = items[items["objective_id"].isna() & (items["source"].isin(sources) if sources else True)]
    return suggest_objectives(unlinked.head(limit), frames["objectives"], items[items["objective_id"].notna()])


@st.cache_data(show_spinner=False, max_entries=4)
def strategy_tables(key: DataKey) -> dict[str, pd.DataFrame]:
    return repo.editable_frames(_engine_for(key[0]))


def actor() -> Any:
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


@st.cache_resource(show_spinner="Summarising every view…", max_entries=4)
def overview_report(key: DataKey, period_days: int, stale_source_days: int) -> dict:
    """The executive report (core.report.build_report) over the same cached frames the views use."""
    from core.report import ReportOptions, build_report

    items, events, deps = flow_frames(key)
    kpi = kpi_frames(key)
    align = alignment_frames(key)
    frames = {"items": items, "events": events, "deps": deps, "alignment_items": align["items"],
              "people": align["people"], "signals": signals(key), "batches": batches_all(key),
              **{k: kpi[k] for k in ("kpis", "readings", "incentives", "effects", "objectives")}}
    return build_report(frames, ReportOptions(period_days=period_days, stale_source_days=stale_source_days),
                        scope=key[2])


@st.cache_data(show_spinner=False, max_entries=4)
def batches_all(key: DataKey) -> pd.DataFrame:
    return repo.list_batches(_engine_for(key[0]), limit=100_000)


def table(frame: pd.DataFrame, name: str, **kwargs: Any) -> None:
    """A table with a CSV download of exactly its rows, formula-injection safe.

    Every read-only table goes through here: Streamlit's own toolbar download writes cells like
    ``=HYPERLINK(…)`` raw, so it is switched off (``client.disableDataExport`` in .streamlit/config.toml).
    """
    from core.export import csv_bytes

    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)
    stem = re.sub(r"[^\w.-]+", "_", name).strip("_.") or "table"
    # Deferred: built on click only (a 20,000-row table costs 0.1 s and 1.4 MB per rerun when built eagerly).
    st.download_button("CSV", lambda: csv_bytes(frame), file_name=f"{stem}.csv", mime="text/csv", key=f"csv_{name}",
                       icon=":material/download:", type="tertiary")


def attempt(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a core write: its result (True when it returns nothing), or None after showing why it failed."""
    try:
        result = fn(*args, **kwargs)
        return True if result is None else result
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        show_error(exc)
        return None
