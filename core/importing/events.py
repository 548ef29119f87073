"""Event-log exports (one row per change of an item, like ServiceNow's audit export).

The latest row of each key by the "updated" field is the item's current state;
the rows give its status history. Only real transitions become status events
(a row that changes the assignee but not the status adds none), so flow metrics
count each status change once.
"""
from __future__ import annotations

import pandas as pd

from core.importing.assign import Choice
from core.importing.mapping import Mapping
from core.importing.profile import ColumnProfile


def recognise_event_log(mapping: Mapping, columns: dict[str, ColumnProfile]) -> None:
    """Repeated keys plus a timestamp column make an event log, whatever the headers say.

    The time of each row is the mapped "updated" column when there is one, else the unmapped column of
    dates with times of day that changes most often (``time:timestamp``, ``… Change Date+Time``).
    """
    if mapping.kind != "work_items" or mapping.options.get("event_log") is False:
        return
    key = columns.get(mapping.fields.get("external_key", ""))
    if key is None or key.filled < 2 or key.distinct_ratio > 0.9 or key.max_repeat < 2:
        return
    if "updated_at" not in mapping.fields:
        used = set(mapping.fields.values())
        stamps = [p for h, p in columns.items() if h not in used and p.date_share >= 0.9 and p.fill >= 0.9
                  and p.date_time_share >= 0.5 and not p.date_serial_only]
        if not stamps:
            return
        best = max(stamps, key=lambda p: (p.distinct, p.date_time_share))
        mapping.fields["updated_at"] = best.header
        mapping.confidence[best.header] = 90.0
        mapping.choices[best.header] = Choice("updated_at", 90.0, 0.0, best.evidence(),
                                              "the time of each event: keys repeat, so this is an event log")
    mapping.options["event_log"] = True


def workflow_positions(frame: pd.DataFrame) -> dict[str, float]:
    """Where each raw status stands in its items' histories: 0 = always first, 1 = always last.

    Used to propose a meaning for a word no vocabulary knows (an activity that ends cases is probably "done").
    """
    if "raw_status" not in frame or "updated_at" not in frame or frame.empty:
        return {}
    live = frame[["external_key", "updated_at", "raw_status"]].dropna(subset=["external_key", "raw_status"])
    live = live.sort_values(["external_key", "updated_at"], kind="stable")
    step = live.groupby("external_key", sort=False).cumcount()
    size = live.groupby("external_key", sort=False)["raw_status"].transform("size")
    pos = (step / (size - 1)).where(size > 1)
    return {str(k): float(v) for k, v in pos.groupby(live["raw_status"]).mean().dropna().items()}


def split_event_log(frame: pd.DataFrame, rejected: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(one current row per key, status events, rejected mask of the current rows).

    The latest row by time is the item's state, every attribute included: a field the latest row leaves empty
    ('?' in ServiceNow) was emptied in the source (an incident unassigned), so it is not filled from older rows.
    """
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
