"""The team's items as My work shows them: the views (mine, overdue, blocked, stale), the editable grid,
and what an edit of the grid changed.

Pure functions over the frame ``core.work.queries.tracker_items_frame`` returns, so the page, the
saves and the tests agree on which rows a view holds and on when a cell really changed.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from core.store.grid import diff_rows
from core.store.values import is_blank

DEFAULT_STALE_DAYS = 14
STARTED = ("in_progress", "blocked")
GRID_COLUMNS = ("id", "external_key", "title", "owner", "status", "reported_rag", "objective", "due_at", "effort",
                "depends_on", "updated_at", "source")
EDITABLE = ("title", "owner", "status", "reported_rag", "objective", "due_at", "effort", "depends_on")
VIEWS = {"team": "My team", "mine": "Mine", "overdue": "Overdue", "blocked": "Blocked", "stale": "Stale"}

Cell = str | int | float | datetime | None  # one grid cell as saves compare it
Values = dict[str, object]  # column → value of one row, as the grid or a quick update sets it


def last_update(items: pd.DataFrame) -> pd.Series:
    """When someone last touched each item: its 'last updated', its latest status change, else its creation."""
    cols = [c for c in ("updated_at", "last_event_at") if c in items]
    latest = items[cols].max(axis=1) if cols else pd.Series(pd.NaT, index=items.index)
    return latest.fillna(items["created_at"]) if "created_at" in items else latest


def stale_items(items: pd.DataFrame, now: pd.Timestamp, days: int) -> pd.DataFrame:
    """Open items not updated for more than ``days`` days (never updated counts as stale), oldest first."""
    out = items[items["status"].ne("done")].copy()
    out["last_update"] = last_update(out)
    out["days_since_update"] = ((now - out["last_update"]) / pd.Timedelta(days=1)).round(1)
    out = out[out["last_update"].isna() | (out["days_since_update"] > days)]
    return out.sort_values("days_since_update", ascending=False, na_position="first")


def view_items(items: pd.DataFrame, view: str, me: str | None, now: pd.Timestamp, stale_days: int) -> pd.DataFrame:
    """The grid's filter: my team (all), mine, overdue, blocked, stale."""
    if view == "mine":
        return items[items["owner"].eq(me)] if me else items.iloc[0:0]
    if view == "overdue":
        return items[items["status"].ne("done") & items["due_at"].notna() & (items["due_at"] < now)]
    if view == "blocked":
        return items[items["status"].eq("blocked")]
    if view == "stale":
        return items[items["id"].isin(stale_items(items, now, stale_days)["id"])]
    return items


def grid_frame(items: pd.DataFrame) -> pd.DataFrame:
    """The editable grid: one row per item, due dates as dates, hidden id."""
    out = items[[c for c in GRID_COLUMNS if c in items]].copy()
    out["due_at"] = pd.to_datetime(out["due_at"]).dt.normalize()
    out["effort"] = pd.to_numeric(out["effort"], errors="coerce").astype(float)
    return out.reset_index(drop=True)


def cell(column: str, value: object) -> Cell:
    """One comparable value per grid cell (None for every kind of blank); text the cell cannot parse stays text."""
    if is_blank(value):
        return None
    if column == "due_at":
        try:
            return pd.Timestamp(value).normalize().to_pydatetime()
        except (TypeError, ValueError):
            return str(value).strip()
    if column == "effort":
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value).strip()
    if column == "id":
        return int(value)
    return " ".join(str(value).split()) if column in ("title", "owner", "objective") else str(value).strip()


def diff_grid(original: pd.DataFrame, edited: pd.DataFrame) -> tuple[list[tuple[int, Values]],
                                                                     list[tuple[int, Values]]]:
    """(new rows as (editor row number, values), changed rows as (id, changed values)). Rows never disappear:
    a row missing from the edited grid (another filter) is left as it is; closing is a status."""
    inserts, updates, _gone = diff_rows(original, edited, EDITABLE, new_row_columns=("external_key",),
                                        normalise=cell)
    return inserts, updates
