"""The data as it stood at an earlier date, so every headline figure can show its change since then.

Status history makes this possible for flow (events up to the date), readings for KPIs
(periods up to the date) and signal stamps for signals. Links to objectives have no
history: an item counts as linked then if it is linked now (said on the page).
"""
from __future__ import annotations

import pandas as pd

from core.flow.analytics import times_of


def items_at(items: pd.DataFrame, events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Items that existed at ``cutoff``, with the status and done date they had then."""
    created = items["created_at"]
    born = created
    if len(events):
        born = created.fillna(times_of(items["id"], events.groupby("work_item_id")["at"].min()))
    out = items[born.isna() | (born <= cutoff)].copy()
    later_done = out["done_at"].notna() & (out["done_at"] > cutoff)
    out.loc[later_done, "done_at"] = pd.NaT
    if len(events):
        before = events[events["at"] <= cutoff].sort_values(["work_item_id", "at"])
        last = before.groupby("work_item_id")["status"].last()
        known = out["id"].isin(last.index)
        out.loc[known, "status"] = out.loc[known, "id"].map(last)
        out.loc[~known & later_done, "status"] = "in_progress"
    else:
        out.loc[later_done, "status"] = "in_progress"
    return out


def events_at(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The status changes recorded by ``cutoff``."""
    return events[events["at"] <= cutoff]


def readings_at(readings: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The readings of periods up to ``cutoff``."""
    return readings[readings["period"] <= cutoff]


def open_signals_at(signals: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Signals open at ``cutoff``: raised by then and not closed before.

    A signal is raised in data time by the period of the reading that caused it (an import of a year of
    readings opens them all at once in wall-clock time); signals without a period use their opening stamp.
    """
    if signals.empty:
        return signals
    opened = pd.to_datetime(signals["period"]).fillna(pd.to_datetime(signals["opened_at"]))
    closed = pd.to_datetime(signals["closed_at"])
    return signals[(opened <= cutoff) & (closed.isna() | (closed > cutoff))]
