"""Workflows: the unit flow metrics are taken over, each with its own "as of" and its own percentiles.

A service desk's sub-day tickets and a programme's 100-day milestones have nothing in common but the
database they sit in: one 85th percentile over both describes neither (ActionableAgile and
jira-agile-metrics take their figures per board). A workflow is an item's source; a source that mixes
item types, each with enough items to say something, is split into source · type. Each workflow is
measured as of the end of its own activity (end_of_activity), so an export from 2016 neither pins
today's figures to 2016 nor makes its own items look ten years old.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.flow.analytics import PERCENTILES, times_of

MIN_ITEMS_PER_TYPE = 20  # below this a type stays in its source's workflow: too few to have a flow of its own
MIN_FINISHED = 5  # fewer finished items than this give no percentiles (no "aging past p85" on two points)
STALE_DAYS = 28  # a workflow whose "as of" is this much older than the newest one's is named stale


def workflow_of(items: pd.DataFrame) -> pd.Series:
    """Each item's workflow: its source, or "source · type" where the source mixes sizeable types."""
    source = items["source"].fillna("(no source)").astype(str)
    kind = items["item_type"].fillna("").astype(str).str.strip()
    if items.empty:
        return source
    sizes = pd.DataFrame({"source": source, "kind": kind}).value_counts()
    big = sizes[(sizes >= MIN_ITEMS_PER_TYPE) & (sizes.index.get_level_values("kind") != "")]
    mixed = big.groupby(level="source").size()
    mixed = set(mixed[mixed >= 2].index)
    big_pairs = set(big.index)
    split = source.isin(mixed).to_numpy() & pd.MultiIndex.from_arrays([source, kind]).isin(list(big_pairs))
    return pd.Series(np.where(split, source + " · " + kind, source), index=items.index, name="workflow")


def latest_change(items: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Per item: its latest status event or its own 'updated' time, whichever is later (NaT: neither)."""
    updated = pd.to_datetime(items["updated_at"], errors="coerce").astype("datetime64[us]")
    if events.empty:
        return updated
    from_events = times_of(items["id"], events.groupby("work_item_id")["at"].max())
    return pd.concat([from_events, updated], axis=1).max(axis=1)


STRAGGLER_SHARE = 0.05  # a week with fewer changes than this share of the busiest week's is a straggler


def end_of_activity(changed: pd.Series) -> pd.Timestamp:
    """The latest change that is still part of the workflow's activity, not a straggler after it.

    An export whose real activity ended in March 2016 may hold a few late changes up to 2017: as of
    February 2017 it would read "0.25 done per week". Walking back from the newest week, weeks with fewer
    changes than STRAGGLER_SHARE of the busiest week's (and fewer than two) are stragglers; a steadily used
    tracker has none and is as of its latest change.
    """
    dated = changed.dropna()
    if dated.empty:
        return pd.NaT
    weeks = dated.dt.to_period("W-SUN")
    counts = weeks.value_counts().sort_index()
    active = counts[counts >= max(2.0, STRAGGLER_SHARE * counts.max())]
    if active.empty:
        return dated.max()
    return dated[weeks <= active.index.max()].max()


def workflow_as_of(workflow: pd.Series, changed: pd.Series, cap: pd.Timestamp | None = None) -> pd.Series:
    """Each workflow's "as of": the end of its items' activity (never after ``cap``; core.flow.workflows.
    end_of_activity), the cap itself when none is dated."""
    if changed.notna().any():
        latest = changed.groupby(workflow.values).agg(end_of_activity)
    else:
        latest = pd.Series(pd.NaT, index=pd.Index(sorted(set(workflow))), dtype="datetime64[us]")
    if cap is not None:
        latest = latest.where(latest.isna() | (latest <= cap), cap).fillna(cap)
    return latest


def workflow_percentiles(workflow: pd.Series, cycle_days: pd.Series, finished: pd.Series) -> pd.DataFrame:
    """Per workflow: finished items with a cycle time, and the 50th/85th/95th percentile (NaN below MIN_FINISHED)."""
    ok = finished & cycle_days.notna() & (cycle_days >= 0)
    frame = pd.DataFrame({"workflow": workflow[ok].values, "days": cycle_days[ok].values})
    names = pd.Index(sorted(set(workflow)), name="workflow")
    counts = frame.groupby("workflow").size().reindex(names, fill_value=0)
    out = pd.DataFrame({"finished": counts})
    for q in PERCENTILES:
        values = frame.groupby("workflow")["days"].quantile(q).reindex(names)
        out[f"p{round(q * 100)}"] = values.where(counts >= MIN_FINISHED)
    return out


def stale_workflows(as_of: pd.Series, days: int = STALE_DAYS) -> list[str]:
    """The workflows whose latest change is more than ``days`` older than the newest workflow's."""
    dated = as_of.dropna()
    if dated.empty:
        return []
    return sorted(dated[dated < dated.max() - pd.Timedelta(days=days)].index)


def workflow_summary(tl: pd.DataFrame, as_of: pd.Series, pcts: pd.DataFrame, weeks: int = 4,
                     recent_weeks: int = 12) -> pd.DataFrame:
    """One row per workflow: what the Overview and the Bottlenecks page say of it, each as of its own date.

    Done per week counts finishes in the ``weeks`` weeks ending at the workflow's "as of" (exactly
    that window, divided by ``weeks``); the median cycle is of items finished in the last ``recent_weeks``.
    """
    stale = set(stale_workflows(as_of))
    rows = []
    for name, group in tl.groupby("workflow", sort=True):
        when = as_of.get(name, pd.NaT)
        finish = group["finish"]
        window = finish.gt(when - pd.Timedelta(weeks=weeks)) & finish.le(when) if pd.notna(when) else finish.isna()
        recent = group[finish.gt(when - pd.Timedelta(weeks=recent_weeks)) & finish.le(when)] if pd.notna(when) \
            else group.iloc[0:0]
        rows.append({"workflow": name, "as_of": when, "stale": name in stale, "items": len(group),
                     "open": int(group["is_open"].sum()), "wip": int(group["is_wip"].sum()),
                     "not_tracked": int(group["not_tracked"].sum()),
                     "done_per_week": round(int(window.sum()) / weeks, 2),
                     "median_cycle_days": float(recent["cycle_days"].median()) if len(recent) else np.nan,
                     "p85_days": pcts["p85"].get(name, np.nan),
                     "aging_past_p85": int(group["beyond_p85"].sum()) if "beyond_p85" in group else 0})
    cols = ["workflow", "as_of", "stale", "items", "open", "wip", "not_tracked", "done_per_week",
            "median_cycle_days", "p85_days", "aging_past_p85"]
    return pd.DataFrame(rows, columns=cols)
