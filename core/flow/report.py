"""The Bottlenecks view in one call: every frame it and the report's flow figures read, per workflow.

Percentiles, ages, overdue days and recent throughput are each taken within the item's workflow
(core.flow.workflows) and as of the end of that workflow's own activity; waits between teams are as of
the newest data, since they cross workflows.
"""
from __future__ import annotations

from datetime import date
from typing import TypedDict

import pandas as pd

from core.flow.analytics import (PERCENTILES, aging_wip, as_of_default, blocked_without_dependency, cumulative_flow,
                                 dependency_waits, filter_items, lead_time_by_team, longest_chain, overdue,
                                 owner_load, sort_events, team_waits, throughput, timeline, widening_band)
from core.flow.workflows import (latest_change, stale_workflows, workflow_as_of, workflow_of, workflow_percentiles,
                                 workflow_summary)

DRILL_COLUMNS = ["external_key", "title", "status", "owner", "team", "source_file", "source_sheet", "source_row"]


class FlowReport(TypedDict):
    """What :func:`flow_report` returns: every frame the Bottlenecks view and the report's flow figures read."""

    as_of: pd.Timestamp  # the newest workflow's "as of"
    timeline: pd.DataFrame  # one row per item: workflow, its as-of and p85, start, finish, is_wip, cycle and lead
    percentiles: dict[float, float]  # of the chosen workflow's cycle times (empty when several are shown)
    workflows: pd.DataFrame  # one row per workflow in scope (core.flow.workflows.workflow_summary)
    stale_workflows: list[str]
    aging: pd.DataFrame
    cfd: pd.DataFrame
    cfd_sentence: str | None
    throughput: pd.DataFrame
    finished: pd.DataFrame
    waits: pd.DataFrame
    team_waits: pd.DataFrame
    chain: list[str]
    blocked_alone: pd.DataFrame
    owner_load: pd.DataFrame
    team_load: pd.DataFrame
    overdue: pd.DataFrame
    lead_by_team: pd.DataFrame


def workflow_timeline(items: pd.DataFrame, events: pd.DataFrame, cap: pd.Timestamp | None,
                      undated: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The timeline of every item with its workflow, that workflow's "as of" (never after ``cap``; ``undated``
    for a workflow with no date at all) and its 85th percentile; also each workflow's as-of and percentiles."""
    tl = timeline(items, events)
    tl["workflow"] = workflow_of(items)
    pcts = workflow_percentiles(tl["workflow"], tl["cycle_days"], tl["finish"].notna())
    if tl.empty:  # mapping into an empty frame loses the dtypes
        return (tl.assign(workflow_as_of=pd.Series(dtype="datetime64[us]"), p85_days=pd.Series(dtype=float)),
                pd.Series(dtype="datetime64[us]"), pcts)
    as_of = workflow_as_of(tl["workflow"], latest_change(tl, events), cap).fillna(undated)
    tl["workflow_as_of"] = pd.to_datetime(tl["workflow"].map(as_of), errors="coerce").astype("datetime64[us]")
    tl["p85_days"] = tl["workflow"].map(pcts["p85"])
    return tl, as_of, pcts


def flow_report(items: pd.DataFrame, events: pd.DataFrame, deps: pd.DataFrame, *, teams: list[str] | None = None,
                sources: list[str] | None = None, kinds: list[str] | None = None,
                workflows: list[str] | None = None, as_of: pd.Timestamp | None = None,
                period: tuple[date, date] | None = None) -> FlowReport:
    """Everything the Bottlenecks view shows, for the filtered items, in one call (cached as one unit).

    ``as_of`` caps every workflow's own "as of" (the report's "one period earlier"); ``period`` limits
    the time-series views (flow, cycle times, throughput) to a window.
    """
    events = sort_events(events)
    newest = as_of or as_of_default(items, events)
    # waits cross filters (the upstream may be anyone's), so the timeline is of every item
    all_tl, wf_as_of, pcts = workflow_timeline(items, events, as_of, newest)
    tl = filter_items(all_tl, teams, sources, kinds, workflows)
    ids = set(tl["id"])
    filtered = len(tl) < len(all_tl)
    ev = events[events["work_item_id"].isin(ids)] if filtered else events
    waits = dependency_waits(all_tl, deps, events, newest)
    waits = waits[waits["down_id"].isin(ids) | waits["up_id"].isin(ids)]
    shown = sorted(set(tl["workflow"]))
    one = pcts.loc[shown[0]] if len(shown) == 1 else None
    chosen_pcts = ({q: float(one[f"p{round(q * 100)}"]) for q in PERCENTILES}
                   if one is not None and pd.notna(one["p85"]) else {})
    aging = aging_wip(tl, newest)
    cfd = cumulative_flow(ev)
    finished = tl[tl["finish"].notna() & tl["cycle_days"].notna()]
    tp = throughput(tl)
    if period is not None:
        start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1]) + pd.Timedelta(days=1)
        if not cfd.empty:
            cfd = cfd[(cfd.index >= start - pd.Timedelta(days=6)) & (cfd.index < end + pd.Timedelta(days=6))]
        finished = finished[finished["finish"].between(start, end)]
        if not tp.empty:
            tp = tp[(tp["week"] >= start - pd.Timedelta(days=6)) & (tp["week"] < end + pd.Timedelta(days=6))]
    summary = workflow_summary(tl.assign(beyond_p85=tl["id"].isin(aging.loc[aging["beyond_p85"], "id"])),
                               wf_as_of[wf_as_of.index.isin(shown)], pcts)
    return FlowReport(as_of=newest, timeline=tl, percentiles=chosen_pcts, workflows=summary,
                      stale_workflows=[w for w in stale_workflows(wf_as_of) if w in shown], aging=aging, cfd=cfd,
                      cfd_sentence=widening_band(cfd), throughput=tp, finished=finished, waits=waits,
                      team_waits=team_waits(waits), chain=longest_chain(all_tl, deps[deps["work_item_id"].isin(ids)]),
                      blocked_alone=blocked_without_dependency(tl, ev, waits, newest),
                      owner_load=owner_load(tl, newest), team_load=owner_load(tl, newest, by="team"),
                      overdue=overdue(tl, newest), lead_by_team=lead_time_by_team(finished))
