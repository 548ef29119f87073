"""Status vs reality: reported green (or amber) while the measurement says red.

Four causes, each with the moment the gap began, so gaps rank by how long they have lasted:
KPI red or worsening (the objective's weakest KPI), milestone overdue, item aging beyond the
85th percentile of cycle times, and reported status not updated for ``stale_days`` days.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.flow.report import FlowReport
from core.kpis.analytics import KpiReport

REPORTED_OK = ("green", "amber")
DAY = pd.Timedelta(days=1)
COLUMNS = ["entity", "key", "title", "owner", "team", "reported", "causes", "gap_since", "gap_days", "source_file",
           "source_row"]


def last_update(tl: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.Series:
    """When each item's reported state last changed: its latest status event or its own 'updated' date.

    A timeline (core.flow.analytics.timeline) carries its latest event already, so the events are needed only
    for a frame without one: Status vs reality then reads its stored flow report, not 180,000 events."""
    if "last_event_at" in tl:
        from_events = pd.to_datetime(tl["last_event_at"])
    else:
        latest = events.groupby("work_item_id")["at"].max() if events is not None else pd.Series(dtype=object)
        from_events = pd.to_datetime(tl["id"].map(latest)) if len(latest) else pd.Series(pd.NaT, index=tl.index)
    return pd.concat([from_events, tl["updated_at"]], axis=1).max(axis=1)


def stale_items(tl: pd.DataFrame, events: pd.DataFrame | None, as_of: pd.Timestamp,
                stale_days: int = 14) -> pd.DataFrame:
    """Open items whose reported state has not changed for ``stale_days`` days."""
    out = tl[tl["is_open"]].copy()
    out["last_update"] = last_update(out, events)
    out["days_since_update"] = ((as_of - out["last_update"]) / DAY).round(1)
    return out[out["days_since_update"] > stale_days].sort_values("days_since_update", ascending=False)


def green_but_red_items(tl: pd.DataFrame, events: pd.DataFrame | None, objective_status: pd.DataFrame,
                        kpi_status: pd.DataFrame, as_of: pd.Timestamp, p85_days: float | None,
                        stale_days: int = 14) -> pd.DataFrame:
    """Open work items reported green/amber with at least one measured-red cause.

    Each cause is tested on whole columns; only the items with a cause are visited, to word it (a loop over
    every open item took ten seconds at 120,000 items).
    """
    items = tl[tl["is_open"] & tl["reported_rag"].isin(REPORTED_OK)]
    if items.empty:
        return pd.DataFrame(columns=COLUMNS)
    updated = last_update(items, events)
    red_objectives = _red_objectives(objective_status, kpi_status)
    if "workflow_as_of" in items:  # each workflow's own date and percentile (core.flow.report)
        when, p85 = items["workflow_as_of"], items["p85_days"].astype(float)
    else:
        when = pd.Series(as_of, index=items.index)
        p85 = pd.Series(np.nan if p85_days is None else float(p85_days), index=items.index)
    due, start = items["due_at"], items["start"]
    late = (due.notna() & (due < when)).to_numpy()
    age = ((when - start) / DAY).to_numpy()
    aging = (p85.notna() & items["is_wip"].astype(bool) & ((when - start) / DAY > p85)).to_numpy()
    idle = ((when - updated) / DAY).to_numpy()
    stale = (updated.notna() & ((when - updated) / DAY > stale_days)).to_numpy()
    objective = items["objective"] if "objective" in items else pd.Series(None, index=items.index, dtype=object)
    red = objective.isin(list(red_objectives)).to_numpy()
    hit = np.flatnonzero(late | aging | stale | red)
    overdue_days = ((when - due) / DAY).to_numpy()
    since_of = {"late": _at(due, late), "stale": _at(updated + pd.Timedelta(days=stale_days), stale), "aging": {}}
    for days in set(p85[aging].tolist()):  # one Timedelta per percentile, as each item's own would be
        since_of["aging"].update(_at(start + pd.Timedelta(days=days), aging & (p85 == days).to_numpy()))
    columns = ("external_key", "title", "owner", "team", "reported_rag", "source_file", "source_row")
    values = {c: items[c].iloc[hit].tolist() if c in items else [None] * len(hit) for c in columns}
    whens, p85s, objectives = when.iloc[hit].tolist(), p85.iloc[hit].tolist(), objective.iloc[hit].tolist()
    rows = []
    for n, i in enumerate(hit):
        causes: list[str] = []
        sinces: list[pd.Timestamp] = []  # of the causes with a known start (only an objective's may have none)
        if late[i]:
            causes.append(f"overdue by {overdue_days[i]:.0f} days")
            sinces.append(since_of["late"][i])
        if aging[i]:
            causes.append(f"aging {age[i]:.0f} days (85th percentile {p85s[n]:.1f})")
            sinces.append(since_of["aging"][i])
        if stale[i]:
            causes.append(f"not updated for {idle[i]:.0f} days")
            sinces.append(since_of["stale"][i])
        if red[i]:
            why, since = red_objectives[objectives[n]]
            causes.append(f"objective {objectives[n]}: {why}")
            if pd.notna(since):
                sinces.append(since)
        since = min(sinces, default=pd.NaT)
        rows.append({"entity": "work item", "key": values["external_key"][n], "title": values["title"][n],
                     "owner": values["owner"][n], "team": values["team"][n], "reported": values["reported_rag"][n],
                     "causes": "; ".join(causes), "gap_since": since,
                     "gap_days": round((whens[n] - since) / DAY, 1) if sinces else None,
                     "source_file": values["source_file"][n], "source_row": values["source_row"][n]})
    return pd.DataFrame(rows, columns=COLUMNS)


def _at(times: pd.Series, where: np.ndarray) -> dict[int, pd.Timestamp]:
    """Position → time, for the positions ``where`` holds (boxed only there: boxing every item's took seconds)."""
    picked = np.flatnonzero(where)
    return dict(zip(picked.tolist(), times.iloc[picked].tolist()))


def green_but_red_objectives(objective_status: pd.DataFrame, kpi_status: pd.DataFrame,
                             as_of: pd.Timestamp) -> pd.DataFrame:
    """Objectives reported green/amber whose weakest KPI is red or worsening."""
    red = _red_objectives(objective_status, kpi_status)
    rows = []
    for o in objective_status.itertuples():
        if o.reported_rag in REPORTED_OK and o.code in red:
            why, since = red[o.code]
            rows.append(_row("objective", o.code, o.title, o.owner, None, o.reported_rag, [(why, since)], as_of,
                             None, None))
    return pd.DataFrame(rows, columns=COLUMNS)


def _red_objectives(objective_status: pd.DataFrame, kpi_status: pd.DataFrame) -> dict[str, tuple[str, pd.Timestamp]]:
    """Objective code → (why it measures red, since when) for objectives with a red or worsening KPI."""
    out: dict[str, tuple[str, pd.Timestamp]] = {}
    by_objective = objective_status.set_index("id")["code"]
    for k in kpi_status.itertuples():
        if pd.isna(k.objective_id) or k.objective_id not in by_objective.index:
            continue
        code = by_objective[k.objective_id]
        if k.status == "red":
            reason, since = f"{k.code} is red ({k.latest_value:g} against target {k.target:g})", k.red_since
        elif k.worsening:
            reason = f"{k.code} worsened {k.worsening_periods} periods in a row"
            since = k.latest_period - pd.Timedelta(weeks=int(k.worsening_periods))
        else:
            continue
        if code not in out or (pd.notna(since) and since < out[code][1]):
            out[code] = (reason, since)
    return out


def _row(entity: str, key: str, title: str, owner: object, team: object, reported: str,
         causes: list[tuple[str, pd.Timestamp]], as_of: pd.Timestamp, source_file: object,
         source_row: object) -> dict[str, object]:
    since = min((s for _c, s in causes if pd.notna(s)), default=pd.NaT)
    return {"entity": entity, "key": key, "title": title, "owner": owner, "team": team, "reported": reported,
            "causes": "; ".join(c for c, _s in causes), "gap_since": since,
            "gap_days": round((as_of - since) / DAY, 1) if pd.notna(since) else None,
            "source_file": source_file, "source_row": source_row}


def status_vs_reality(objectives: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Both lists in one, ranked by how long the gap has lasted."""
    both = pd.concat([objectives, items], ignore_index=True)
    return both.sort_values("gap_days", ascending=False, na_position="last", ignore_index=True)


def reality_report(kpi_report: KpiReport, flow_report: FlowReport, stale_days: int = 14) -> pd.DataFrame:
    """Objectives and work items reported green/amber but measured red, ranked by how long the gap has lasted."""
    status, objectives = kpi_report["status"], kpi_report["objectives"]
    kpi_as_of = status["latest_period"].max() if status["latest_period"].notna().any() else flow_report["as_of"]
    items = green_but_red_items(flow_report["timeline"], None, objectives, status, flow_report["as_of"],
                                flow_report["percentiles"].get(0.85), stale_days)
    return status_vs_reality(green_but_red_objectives(objectives, status, pd.Timestamp(kpi_as_of)), items)


def gap_summary(gaps: pd.DataFrame) -> dict[str, float]:
    """The page's three figures: how many gaps, how many of them objectives, the longest gap in days (NaN: none)."""
    return {"gaps": len(gaps), "objectives": int((gaps["entity"] == "objective").sum()),
            "longest_days": float(pd.to_numeric(gaps["gap_days"], errors="coerce").max())}


def gaps_of(gaps: pd.DataFrame, owners: Sequence[str] = ()) -> pd.DataFrame:
    """The gaps these owners must close; every gap when no owner is picked."""
    return gaps[gaps["owner"].isin(owners)] if owners else gaps
