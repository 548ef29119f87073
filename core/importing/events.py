"""Event-log exports (one row per change of an item, like ServiceNow's audit export).

The latest row of each key by the "updated" field is the item's current state;
the rows give its status history. Only real transitions become status events
(a row that changes the assignee but not the status adds none), so flow metrics
count each status change once.
"""
from __future__ import annotations

import pandas as pd


def split_event_log(frame: pd.DataFrame, rejected: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(one current row per key, status events, rejected mask of the current rows)."""
    live = frame[~rejected].copy()
    live["_order"] = range(len(live))
    live = live.sort_values(["external_key", "updated_at", "_order"], kind="stable", na_position="first")
    at = live["updated_at"].where(live["updated_at"].notna(), live.get("created_at"))
    prev = live.groupby("external_key", sort=False)["status"].shift()
    prev_raw = live.groupby("external_key", sort=False)["raw_status"].shift()
    first = ~live["external_key"].duplicated()
    changed = first | (live["raw_status"].fillna("") != prev_raw.fillna("")) | (
        live["status"].fillna("") != prev.fillna(""))
    events = pd.DataFrame({"external_key": live["external_key"], "at": at, "raw_status": live["raw_status"],
                           "status": live["status"], "source_row": live["source_row"]})[changed & at.notna()]
    current = live.drop_duplicates("external_key", keep="last").drop(columns="_order")
    current = current.sort_values("source_row")
    # status history rows are not rejected rows: only the current row per key counts as read-and-kept
    kept = pd.concat([current, frame[rejected]]).sort_values("source_row")
    new_rejected = pd.Series(False, index=kept.index)
    new_rejected.loc[frame[rejected].index] = True
    return kept, events.reset_index(drop=True), new_rejected
