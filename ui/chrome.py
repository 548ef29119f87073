"""Page chrome shared by every page: the guard and header, tables with a safe CSV download,
links that survive a bare script run, and user-facing errors (never a traceback)."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Literal, TypeVar

import pandas as pd
import streamlit as st

from core.store.values import choices as options  # noqa: F401 - the pages' filters, one rule with core's views
from ui.cache import DataKey, data_key
from ui.nav import page
from ui.signin import signed_in_viewer

R = TypeVar("R")
Need = Literal["read", "write", "admin"]


def page_setup(title: str, need: Need = "read") -> DataKey:
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


def show_error(exc: Exception) -> None:
    """A user-facing message for every failure; never a traceback."""
    from core.errors import ThroughlineError
    from core.text import inert, inert_lines

    if isinstance(exc, ThroughlineError):
        st.error(inert_lines(str(exc)))  # messages quote file, sheet, column and cell text
    else:
        st.error(f"Something unexpected went wrong ({inert(type(exc).__name__)}: {inert(exc)}). Nothing was changed.")


def link(page_key: str, label: str) -> None:
    """A link to a registered page (ui.nav); plain text when the page runs on its own (AppTest, a bare script)."""
    from streamlit.errors import StreamlitPageNotFoundError

    target = page(page_key)
    try:
        st.page_link(target.path, label=label, icon=target.icon)
    except StreamlitPageNotFoundError:
        st.caption(label)


def stop_empty(message: str) -> None:
    """Explain why a view is empty, point at the Import page, and stop the page."""
    st.info(message)
    link("import", "Import a spreadsheet")
    st.stop()


NO_STRATEGY = ("No strategy is loaded, so nothing can be linked yet: import a strategy sheet (objectives with a code, "
               "a title and, optionally, a parent and an owner) on the Import page, or add objectives on the Strategy "
               "page.")


def stop_no_strategy(items: int) -> None:
    """Say that alignment needs a strategy and how to load one (never "100% hidden work"), and stop the page."""
    st.info(f"{NO_STRATEGY} Then this view shows which of the {items:,} work items serve which objective.")
    link("import", "Import a strategy sheet")
    link("strategy", "Add objectives")
    st.stop()


def table(frame: pd.DataFrame, name: str, **kwargs: object) -> None:
    """A table with a CSV download of exactly its rows, formula-injection safe.

    Labels and formats come from core.reporting.presentation (one place for every page); missing values are
    blank. Every read-only table goes through here: Streamlit's own toolbar download writes cells like
    ``=HYPERLINK(…)`` raw, so it is switched off (``client.disableDataExport`` in .streamlit/config.toml).
    """
    from core.reporting.export_safety import csv_bytes
    from core.reporting.presentation import label_of, present

    config = dict(kwargs.pop("column_config", None) or {})  # the page's own, by raw column name
    shown = present(frame, keep=frozenset(k for k, v in config.items() if not isinstance(v, str)))
    columns = {**{label: COLUMN_FORMATS[fmt](label) for label, fmt in shown.formats.items()},
               **{label_of(k): v for k, v in config.items()}}
    kwargs.setdefault("placeholder", "")  # missing values are blank, never "None"
    frame = shown.frame
    st.dataframe(frame, hide_index=True, width="stretch", column_config=columns, **kwargs)
    stem = re.sub(r"[^\w.-]+", "_", name).strip("_.") or "table"
    # Deferred: built on click only (a 20,000-row table costs 0.1 s and 1.4 MB per rerun when built eagerly).
    # No rerun on click: a rerun registers the button afresh and revokes the file id the click is still fetching,
    # so under load the download failed (CI, 2026-12-06); the page has nothing to redo after a download anyway.
    st.download_button("CSV", lambda: csv_bytes(frame), file_name=f"{stem}.csv", mime="text/csv", key=f"csv_{name}",
                       icon=":material/download:", type="tertiary", on_click="ignore")


COLUMN_FORMATS: dict[str, Callable[[str], object]] = {  # core.reporting.presentation's formats as Streamlit columns
    "date": lambda label: st.column_config.DateColumn(label, format="YYYY-MM-DD"),
    "datetime": lambda label: st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm"),
    "number": lambda label: st.column_config.NumberColumn(label, format="%.1f"),
    "integer": lambda label: st.column_config.NumberColumn(label, format="%d"),
    "percent": lambda label: st.column_config.NumberColumn(label, format="percent"),
}


def period_input(label: str, span: tuple[date, date]) -> tuple[date, date]:
    """A date range over ``span`` (core.store.values.plausible_span of the view's dates), in the current container.

    While the user has picked only one end, the whole span counts, so a half-made choice never empties a view.
    """
    first, last = span
    picked = st.date_input(label, (first, last), min_value=first, max_value=last)
    return (picked[0], picked[1]) if isinstance(picked, (tuple, list)) and len(picked) == 2 else (first, last)


def attempt(fn: Callable[..., R], *args: object, **kwargs: object) -> R | bool | None:
    """Run a core write: its result (True when it returns nothing), or None after showing why it failed."""
    try:
        result = fn(*args, **kwargs)
        return True if result is None else result
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        show_error(exc)
        return None
