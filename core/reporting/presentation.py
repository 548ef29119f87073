"""What a table looks like to a person: human column labels, formatted values, blanks for missing.

Every read-only table on every page goes through :func:`present` (ui.chrome.table), so labels and
formats are decided once, not per page: ``age_days`` reads "Age (days)", ``in_progress`` reads
"In progress", a date with no time of day reads as a date (no "00:00:00"), infinities and missing
values are blank, and a dict or list an analysis kept in a cell reads as text. Pure: a new frame
and a column-config description come back, the input is never changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.store.models import STATUS_LABELS
from core.store.values import change_text, is_missing, map_distinct

LABELS: dict[str, str] = {
    "external_key": "Key", "title": "Title", "status": "Status", "raw_status": "Status in the file",
    "owner": "Owner", "team": "Team", "objective": "Objective", "item_type": "Type", "source": "Source",
    "source_file": "Source file", "source_sheet": "Sheet", "source_row": "Row", "workflow": "Workflow",
    "created_at": "Created", "started_at": "Started", "due_at": "Due", "done_at": "Done", "updated_at": "Updated",
    "start": "Started", "finish": "Finished", "age_days": "Age (days)", "cycle_days": "Cycle time (days)",
    "lead_days": "Lead time (days)", "days_late": "Days late", "days_blocked": "Days blocked",
    "days_waiting": "Days waiting", "as_of": "As of", "stale": "Stale", "items": "Items", "open": "Open",
    "wip": "In progress", "not_tracked": "Not tracked", "done_per_week": "Done per week",
    "median_cycle_days": "Median cycle (days)", "p85_days": "85th percentile (days)",
    "aging_past_p85": "Aging past p85", "beyond_p85": "Past p85", "reported_rag": "Reported RAG",
    "assessed_rag": "Assessed RAG", "effort": "Effort", "depends_on": "Depends on",
    "down_external_key": "Waiting item", "down_title": "Waiting item's title", "down_team": "Waiting team",
    "down_owner": "Waiting owner", "down_status": "Waiting item's status", "up_external_key": "Waits on",
    "up_title": "Waited-on item's title", "up_team": "Team waited on", "team_waited_on": "Team waited on",
    "upstream_overdue": "Upstream overdue", "down_source_file": "Source file", "down_source_row": "Row",
    "waited_on_team": "Team waited on", "items_waiting": "Items waiting", "total_days": "Total days",
    "waiting_teams": "Waiting teams", "median_hours": "Median (hours)", "p85_hours": "85th percentile (hours)",
    "throughput_per_week": "Done per week", "weeks_to_clear": "Weeks to clear", "done_recently": "Done recently",
    "stalled": "Stalled", "hidden": "Hidden", "hidden_ratio": "Hidden share", "hidden_effort": "Hidden effort",
    "last_import": "Last import (UTC)", "days_ago": "Days ago", "code": "Code", "name": "Name",
    "target": "Target", "tolerance": "Tolerance", "direction": "Better when", "unit": "Unit",
    "latest_value": "Latest value", "latest_period": "Latest period", "red_since": "Red since",
    "measured_status": "Measured status", "worsening": "Worsening", "worsening_periods": "Periods worsening",
    "period": "Period", "value": "Value", "message": "Message", "kpi": "KPI", "entity": "What", "key": "Key",
    "reported": "Reported", "causes": "Why it measures red", "gap_since": "Gap since", "gap_days": "Gap (days)",
    "file_name": "File", "sheet": "Sheet", "kind": "Kind", "user": "By", "rows_read": "Rows read",
    "inserted": "New", "updated": "Updated", "unchanged": "Unchanged", "rejected": "Rejected",
    "state": "State", "rank": "#", "reason": "Why", "days": "Days", "view": "View", "what": "What",
    "matches": "Matches", "field": "Field", "operator": "Operator", "pattern": "Pattern", "active": "Active",
    "score": "Score", "share": "Share", "parent": "Parent", "description": "Description", "email": "E-mail",
    "role_title": "Role", "at": "When (UTC)", "action": "Action", "entity_id": "Id", "before": "Before",
    "after": "After", "opened_at": "Opened", "resolved_at": "Resolved", "closed_at": "Closed",
}
SHARE_COLUMNS = {"hidden_ratio", "share", "open_linked_share", "linked_share"}
CODED = {"status", "down_status", "up_status", "band", "entity", "what", "view", "kind", "state", "action",
         "reported", "measured_status", "direction", "reported_rag", "assessed_rag", "field", "operator",
         "role", "outcome", "severity", "level"}  # columns of codes ("in_progress", "work_item"): shown as words
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


@dataclass(frozen=True)
class Presented:
    """A frame ready to show and, per shown column, how to format it (ui.chrome turns these into column configs)."""

    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)  # label → "date" | "datetime" | "number" | "percent"


def label_of(column: object) -> str:
    """A column's human label: the catalogue's, else its words ("hidden_ratio" → "Hidden ratio")."""
    name = str(column)
    if name in LABELS:
        return LABELS[name]
    if _SNAKE.match(name) or name.islower():
        words = name.replace("_", " ").strip()
        return words[:1].upper() + words[1:]
    return name


def cell_text(value: object) -> object:
    """A cell as a person reads it: dicts and lists as text, missing as None (shown blank), others unchanged."""
    if isinstance(value, (dict, list, tuple, set)):
        return change_text(value) or None
    if is_missing(value):
        return None
    return value


def _words(value: object) -> object:
    """A code-like word ("in_progress", "work_item") as words; anything else unchanged."""
    if isinstance(value, str) and value in STATUS_LABELS:
        return STATUS_LABELS[value]
    if isinstance(value, str) and _SNAKE.match(value):
        words = value.replace("_", " ")
        return words[:1].upper() + words[1:]
    return value


def _present_column(name: str, col: pd.Series) -> tuple[pd.Series, str | None]:
    if pd.api.types.is_datetime64_any_dtype(col):
        when = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        dated = when.dropna()
        if len(dated) and (dated == dated.dt.normalize()).all():
            return when.dt.date.astype(object).where(when.notna(), None), "date"
        return when, "datetime"
    if pd.api.types.is_bool_dtype(col):
        return col, None
    if pd.api.types.is_numeric_dtype(col):
        values = col.replace([np.inf, -np.inf], np.nan)
        if name in SHARE_COLUMNS:
            return values, "percent"
        if pd.api.types.is_float_dtype(values):
            whole = values.dropna()
            return values, ("integer" if len(whole) and (whole == whole.round()).all() else "number")
        return values, None
    out = _cell_texts(col)
    if name.lower() in CODED or label_of(name).lower() in CODED:
        out = map_distinct(out, _words)
    return out, None


SCALAR_KINDS = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float", "boolean", "decimal",
                          "datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "bytes"})  # no dict


def _cell_texts(col: pd.Series) -> pd.Series:
    """:func:`cell_text` of every cell; a column of plain text in one vectorised step (a 50,000-row table took a
    second per rerun cell by cell)."""
    if pd.api.types.infer_dtype(col, skipna=True) in SCALAR_KINDS:
        return col.astype(object).where(col.notna(), None)
    out = col.map(cell_text).astype(object)  # pandas turns the None of a blank back into NaN
    return out.where(out.notna(), None)


def present(frame: pd.DataFrame, keep: frozenset[str] = frozenset()) -> Presented:
    """The frame with human labels and readable values; columns in ``keep`` are left to the caller's own config."""
    columns: dict[str, pd.Series] = {}
    formats: dict[str, str] = {}
    used: set[str] = set()
    for name in frame.columns:
        label = label_of(name)
        if label in used:  # two columns with one label (e.g. two "Row"s): keep the second one's own name
            label = f"{label} ({name})"
        used.add(label)
        if name in keep:  # the caller's own column config formats it; a dict or list still reads as text
            col = frame[name]
            columns[label] = _cell_texts(col) if col.dtype == object else col
            continue
        columns[label], fmt = _present_column(str(name), frame[name])
        if fmt:
            formats[label] = fmt
    return Presented(pd.DataFrame(columns, index=frame.index), formats)
