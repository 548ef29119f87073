"""The only core module that imports Streamlit: the cached engine and loaders keyed on the data version.

Every commit bumps ``data_version`` (core.repo) and every loader takes a
:data:`DataKey` (database URL, data version), so a view never shows data older
than the last import, nor data of another database.
"""
from __future__ import annotations

from typing import Any, Tuple

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from core import repo
from core.config import database_url
from core.db import make_engine, upgrade_schema

DataKey = Tuple[str, int]


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    eng = make_engine(url)
    upgrade_schema(eng)
    return eng


def engine() -> Engine:
    """One engine per database URL and server process; the schema is upgraded in place on first use."""
    return _engine_for(database_url())


def data_key() -> DataKey:
    return database_url(), repo.data_version(engine())


@st.cache_data(show_spinner=False, max_entries=8)
def table_counts(key: DataKey) -> dict[str, int]:
    return repo.table_counts(_engine_for(key[0]))


@st.cache_data(show_spinner=False, max_entries=8)
def batches(key: DataKey) -> pd.DataFrame:
    return repo.list_batches(_engine_for(key[0]))


@st.cache_data(show_spinner=False, max_entries=8)
def work_item_counts(key: DataKey) -> pd.DataFrame:
    return repo.work_item_counts(_engine_for(key[0]))


def page_setup(title: str) -> DataKey:
    """Shared sidebar and page header; returns the key for the page's loaders.

    Every page calls this itself (AppTest and direct URLs run a page without app.py).
    """
    key = data_key()
    st.sidebar.caption(f"Throughline · data version {key[1]}")
    st.title(title)
    return key


@st.cache_resource(show_spinner="Reading the file…", max_entries=8)
def prepared_file(sha256: str, _data: bytes, file_name: str, header_rows: tuple, kinds: tuple, key: DataKey) -> Any:
    """Read and map an upload once per (content, header rows, kinds, data version); reruns reuse it.

    The data key makes a newly saved profile (which bumps the data version) apply at once.
    """
    url = key[0]
    from core.importing.service import ImportOptions, prepare, profiles_from_db

    options = ImportOptions(header_rows=dict(header_rows), kinds=dict(kinds))
    return prepare(_data, file_name, options, profiles_from_db(_engine_for(url)))


def show_error(exc: Exception) -> None:
    """A user-facing message for every failure; never a traceback."""
    from core.errors import ThroughlineError

    if isinstance(exc, ThroughlineError):
        st.error(str(exc))
    else:
        st.error(f"Something unexpected went wrong ({type(exc).__name__}: {exc}). Nothing was changed.")


def link(page: str, label: str, icon: str | None = None) -> None:
    """``st.page_link`` that degrades to plain text when the page runs on its own (AppTest, a bare script)."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.caption(label)


@st.cache_resource(show_spinner=False, max_entries=4)
def flow_frames(key: DataKey) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Work items, status events and dependencies (shared read-only; analytics never mutate them)."""
    eng = _engine_for(key[0])
    return repo.work_items_frame(eng), repo.status_events_frame(eng), repo.dependencies_frame(eng)


@st.cache_resource(show_spinner="Computing flow metrics…", max_entries=16)
def flow_report(key: DataKey, teams: tuple, sources: tuple, kinds: tuple, period: tuple | None = None) -> dict:
    from core.analytics.flow import flow_report as compute

    items, events, deps = flow_frames(key)
    return compute(items, events, deps, teams=list(teams), sources=list(sources), kinds=list(kinds), period=period)


@st.cache_resource(show_spinner=False, max_entries=4)
def kpi_frames(key: DataKey) -> dict[str, pd.DataFrame]:
    eng = _engine_for(key[0])
    return {"kpis": repo.kpis_frame(eng), "readings": repo.readings_frame(eng),
            "incentives": repo.incentives_frame(eng), "effects": repo.effects_frame(eng),
            "objectives": repo.objectives_frame(eng)}


@st.cache_resource(show_spinner="Computing KPI status and conflicts…", max_entries=4)
def kpi_report(key: DataKey) -> dict:
    from core.analytics.kpis import kpi_report as compute

    return compute(**kpi_frames(key))


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
    eng = _engine_for(key[0])
    return {"items": repo.alignment_items_frame(eng), "objectives": repo.objectives_frame(eng),
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


def acting_user() -> str:
    """Who the audit trail names for this session's changes (accounts replace this with the signed-in user)."""
    return str(st.session_state.get("acting_user") or "local user")


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
    return build_report(frames, ReportOptions(period_days=period_days, stale_source_days=stale_source_days))


@st.cache_data(show_spinner=False, max_entries=4)
def batches_all(key: DataKey) -> pd.DataFrame:
    return repo.list_batches(_engine_for(key[0]), limit=100_000)


def table(frame: pd.DataFrame, name: str, **kwargs: Any) -> None:
    """A table with a CSV download of exactly its rows (formula-injection safe, unlike a raw dump)."""
    from core.export import csv_bytes

    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)
    st.download_button("CSV", csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}",
                       icon=":material/download:", type="tertiary")
