"""Flow metrics from status history (DESIGN.md definitions).

WIP: started, not done. Cycle time: start → done. Lead time: created → done.
Age: start → as-of. Throughput: items done per week. Little's law: time to clear ≈ WIP ÷ throughput.

``items`` is flow_queries.work_items_frame (one row per item with names and dates);
``events`` is flow_queries.status_events_frame (work_item_id, at, status), ``deps`` is
flow_queries.dependencies_frame. Every function returns a new frame.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.store.values import implausible_dates

STARTED = ("in_progress", "blocked")
STATUS_ORDER = ("todo", "in_progress", "blocked", "done")
PERCENTILES = (0.5, 0.85, 0.95)
DAY = pd.Timedelta(days=1)


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events by item then time; a no-op (checked in one pass) when they already are, as the loader returns them."""
    if events.empty:
        return events
    item = events["work_item_id"].to_numpy()
    at = events["at"].to_numpy()
    if len(item) < 2 or bool(np.all((item[1:] > item[:-1]) | ((item[1:] == item[:-1]) & (at[1:] >= at[:-1])))):
        return events
    return events.iloc[np.lexsort((at, item))]


def times_of(ids: pd.Series, lookup: pd.Series) -> pd.Series:
    """Per-item times from an id → time lookup, always datetime (an empty lookup gives NaT, not NaN)."""
    if lookup.empty:
        return pd.Series(pd.NaT, index=ids.index, dtype="datetime64[us]")
    return pd.to_datetime(ids.map(lookup), errors="coerce").astype("datetime64[us]")


def as_of_default(items: pd.DataFrame, events: pd.DataFrame) -> pd.Timestamp:
    """The moment the data describes: the latest event or update (not the wall clock: exports age)."""
    candidates = [events["at"].max() if len(events) else pd.NaT, items["updated_at"].max() if len(items) else pd.NaT]
    valid = [c for c in candidates if pd.notna(c)]
    return max(valid) if valid else pd.Timestamp.now().normalize()


ITEM_DATES = ("created_at", "started_at", "due_at", "done_at", "updated_at")


def plausible_dates(items: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The items with every date outside [1990, today + 10 years] blanked, and which items had one."""
    wild = pd.Series(False, index=items.index)
    fixed: dict[str, pd.Series] = {}
    for c in ITEM_DATES:
        if c in items:
            col = items[c]
            bad = implausible_dates(col)
            if bad.any():
                fixed[c] = col.where(~bad)
                wild |= bad
    return (items.assign(**fixed) if fixed else items), wild


def timeline(items: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per item: when work started and when it was (finally) done, from events first, item dates second.

    Finish is the item's own done date when the export has one (ServiceNow's resolved_at), otherwise
    its last arrival in done: a reopened item (done → active → done) is done at the final arrival. An item
    first seen already done, with no done date, has no known finish (no cycle time, no throughput).
    A date outside the plausible window (core.store.values.implausible_dates) is a data problem, not a
    moment: it is left out (NaT) and the item flagged ``implausible_dates``, so one 1900 placeholder or a
    due date typed as 2070 cannot make an item 46,000 days late or stretch a chart.
    """
    items, wild = plausible_dates(items)
    ev = sort_events(events)
    started = ev[ev["status"].isin(STARTED)].groupby("work_item_id")["at"].min()
    prev = ev.groupby("work_item_id")["status"].shift()
    # an arrival in done that is the item's first event and was dated by the import (the file gave no time)
    # was not seen happening: it tells no finish (the item's own done date still does)
    seen_happen = prev.notna() | ~ev["stamped"] if "stamped" in ev else pd.Series(True, index=ev.index)
    arrivals = ev[(ev["status"] == "done") & (prev != "done") & seen_happen]
    last_done = arrivals.groupby("work_item_id")["at"].max()
    first_event = ev.groupby("work_item_id")["at"].min()
    last_event = ev.groupby("work_item_id")["at"].max()
    out = items.copy()
    ids = out["id"]

    def at(lookup: pd.Series, where: pd.Series | None = None) -> pd.Series:
        values = times_of(ids, lookup)
        return values if where is None else values.where(where)

    out["start"] = at(started).fillna(out["started_at"])
    is_done = out["status"].eq("done")
    out["finish"] = out["done_at"].where(is_done).fillna(at(last_done, is_done))
    # done with no recorded start: the work started when it was first seen, if that was before it finished
    no_start = is_done & out["start"].isna()
    seen = at(first_event)
    out["last_event_at"] = at(last_event)  # when the reported state last changed (Status vs reality's staleness)
    out["start"] = out["start"].where(~no_start, seen.where(seen < out["finish"]))
    out["is_open"] = ~is_done
    # work in progress needs a known status and a known start: a portfolio row with neither is "not tracked"
    known = out["status"].isin(STATUS_ORDER)
    out["is_wip"] = out["is_open"] & known & ~out["status"].eq("todo") & out["start"].notna()
    out["not_tracked"] = out["is_open"] & ~out["is_wip"] & ~out["status"].eq("todo")
    out["implausible_dates"] = wild
    out["cycle_days"] = (out["finish"] - out["start"]) / DAY
    out["lead_days"] = (out["finish"] - out["created_at"]) / DAY
    return out


def percentiles(values: pd.Series, qs: tuple[float, ...] = PERCENTILES) -> dict[float, float]:
    """Linear-interpolated percentiles of the non-negative values; empty when there are none."""
    v = values.dropna()
    v = v[v >= 0]
    return {q: float(v.quantile(q)) for q in qs} if len(v) else {}


def as_of_each(tl: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series | pd.Timestamp:
    """Each row's own "as of" (its workflow's, core.flow.workflows) when the timeline carries one, else ``as_of``."""
    return tl["workflow_as_of"] if "workflow_as_of" in tl else as_of


def aging_wip(tl: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open, started items with their age in days and whether they are past the 85th percentile of cycle times.

    With workflows (flow_report), each item's age runs to its workflow's "as of" and is compared with its
    workflow's own 85th percentile; without, to ``as_of`` and the percentile of every cycle time given.
    """
    wip = tl[tl["is_wip"] & tl["start"].notna()].copy()
    wip["age_days"] = (as_of_each(wip, as_of) - wip["start"]) / DAY
    if "p85_days" in wip:
        wip["beyond_p85"] = wip["p85_days"].notna() & (wip["age_days"] > wip["p85_days"])
    else:
        p = percentiles(tl["cycle_days"])
        wip["beyond_p85"] = wip["age_days"] > p[0.85] if p else False
    return wip.sort_values("age_days", ascending=False).reset_index(drop=True)


def lead_time_by_team(tl: pd.DataFrame) -> pd.DataFrame:
    """Finished items per team: count, median and 85th-percentile lead time (created → done) in hours."""
    done = tl[tl["finish"].notna() & tl["created_at"].notna()]
    hours = (done["finish"] - done["created_at"]) / pd.Timedelta(hours=1)
    g = hours.groupby(done["team"].fillna("(no team)"))
    return pd.DataFrame({"items": g.size(), "median_hours": g.median(), "p85_hours": g.quantile(0.85)}).reset_index(
        names="team").sort_values("p85_hours", ascending=False, ignore_index=True)


def cumulative_flow(events: pd.DataFrame, freq: str = "W-SUN", start: pd.Timestamp | None = None,
                    end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Items in each status at the end of each week (rows: week end; columns: statuses).

    Each event opens an interval [at, next event of the item); counts are sampled at
    week ends with one cumulative sum per status (linear in the number of events).
    """
    ev = sort_events(events.dropna(subset=["at"]))
    if ev.empty:
        return pd.DataFrame(columns=list(STATUS_ORDER))
    nxt = ev.groupby("work_item_id")["at"].shift(-1)
    start = start or ev["at"].min()
    end = end or ev["at"].max()
    weeks = pd.date_range(start.normalize(), end.normalize() + pd.offsets.Week(weekday=6), freq=freq)
    weeks = weeks + pd.Timedelta(hours=23, minutes=59, seconds=59)
    out = {}
    for status in STATUS_ORDER:
        mask = ev["status"].eq(status)
        opens = np.sort(ev.loc[mask, "at"].to_numpy())
        closes = np.sort(nxt[mask].dropna().to_numpy())
        out[status] = np.searchsorted(opens, weeks.to_numpy(), side="right") - np.searchsorted(
            closes, weeks.to_numpy(), side="right")
    frame = pd.DataFrame(out, index=weeks.normalize())
    frame.index.name = "week"
    return frame


def widening_band(cfd: pd.DataFrame, weeks: int = 6) -> str | None:
    """One sentence naming the unfinished status that grew most over the last ``weeks`` weeks."""
    if len(cfd) < 2:
        return None
    recent = cfd.iloc[-(weeks + 1):]
    best, best_growth = None, 0.0
    for status in ("in_progress", "blocked", "todo"):
        first, last = recent[status].iloc[0], recent[status].iloc[-1]
        growth = (last - first) / first if first > 0 else (np.inf if last > 0 else 0.0)
        if last - first > 0 and growth > best_growth:
            best, best_growth = status, growth
    if best is None:
        return None
    n = len(recent) - 1
    label = best.replace("_", " ")
    first, last = int(recent[best].iloc[0]), int(recent[best].iloc[-1])
    if np.isinf(best_growth):
        return f"'{label}' grew from 0 to {last} items in {n} weeks."
    return f"'{label}' grew {best_growth:.0%} in {n} weeks ({first} → {last} items)."


def throughput(tl: pd.DataFrame, freq: str = "W-SUN") -> pd.DataFrame:
    """Items finished per week."""
    done = tl.dropna(subset=["finish"])
    if done.empty:
        return pd.DataFrame(columns=["week", "done"])
    counts = done.set_index("finish").resample(freq)["id"].count()
    return counts.rename("done").rename_axis("week").reset_index().assign(week=lambda d: d["week"].dt.normalize())


def owner_load(tl: pd.DataFrame, as_of: pd.Timestamp, weeks: int = 6, by: str = "owner") -> pd.DataFrame:
    """WIP against each owner's (or team's) own recent throughput; WIP with no recent throughput is flagged."""
    until = as_of_each(tl, as_of)
    owner = tl[by].fillna(f"(no {by})")
    wip = tl[tl["is_wip"]].groupby(owner[tl["is_wip"]]).size()
    recent = tl["finish"].gt(until - pd.Timedelta(weeks=weeks)) & tl["finish"].le(until)
    done = tl[recent].groupby(owner[recent]).size()
    out = pd.DataFrame({"wip": wip, "done_recently": done}).fillna(0).astype(int)
    out["throughput_per_week"] = out["done_recently"] / weeks
    out["weeks_to_clear"] = np.where(out["throughput_per_week"] > 0, out["wip"] / out["throughput_per_week"], np.inf)
    out["stalled"] = (out["wip"] > 0) & (out["done_recently"] == 0)
    out = out[out["wip"] > 0]
    return out.reset_index(names=by).sort_values(["weeks_to_clear", "wip"], ascending=False, ignore_index=True)


def overdue(tl: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Items past their due date and not done, with days late (worst first)."""
    late = tl[tl["is_open"] & tl["due_at"].notna() & (tl["due_at"] < as_of_each(tl, as_of))].copy()
    late["days_late"] = ((as_of_each(late, as_of) - late["due_at"]) / DAY).round(1)
    return late.sort_values("days_late", ascending=False, ignore_index=True)


def dependency_waits(tl: pd.DataFrame, deps: pd.DataFrame, events: pd.DataFrame,
                     as_of: pd.Timestamp) -> pd.DataFrame:
    """Open items waiting on an unfinished upstream item: who waits on whom, since when, how long.

    An item waits since it entered 'blocked' (last time), otherwise since it started, otherwise since
    it was first seen. The upstream being overdue is flagged.
    """
    cols = ["id", "external_key", "title", "team", "owner", "status", "start", "source_file", "source_row"]
    down = tl[cols + ["is_open"]].rename(columns=lambda c: f"down_{c}")
    up = tl[cols + ["is_open", "due_at"]].rename(columns=lambda c: f"up_{c}")
    d = deps.dropna(subset=["depends_on_item_id"]).astype({"depends_on_item_id": int})
    w = d.merge(down, left_on="work_item_id", right_on="down_id").merge(up, left_on="depends_on_item_id",
                                                                         right_on="up_id")
    w = w[w["down_is_open"] & w["up_is_open"]].copy()
    if "depends_on_team" in deps:  # waits on a whole team ("depends on: Data Platform")
        on_team = deps[deps["depends_on_item_id"].isna() & deps["depends_on_team"].notna()]
        t = on_team.merge(down, left_on="work_item_id", right_on="down_id")
        t = t[t["down_is_open"]].assign(up_id=np.nan, up_external_key=t["depends_on_team"], up_title="(a team)",
                                        up_team=t["depends_on_team"], up_is_open=True, up_due_at=pd.NaT)
        w = pd.concat([w, t[[c for c in w.columns if c in t.columns]]], ignore_index=True) if len(t) else w
    ev = sort_events(events)
    prev = ev.groupby("work_item_id")["status"].shift()
    blocked_since = ev[(ev["status"] == "blocked") & (prev != "blocked")].groupby("work_item_id")["at"].max()
    first_seen = ev.groupby("work_item_id")["at"].min()
    since = times_of(w["down_id"], blocked_since).where(w["down_status"].eq("blocked"))
    w["waiting_since"] = since.fillna(w["down_start"]).fillna(times_of(w["down_id"], first_seen))
    w["days_waiting"] = ((as_of - w["waiting_since"]) / DAY).clip(lower=0).round(1)
    w["upstream_overdue"] = w["up_due_at"].notna() & (w["up_due_at"] < as_of)
    w["cross_team"] = w["down_team"].fillna("") != w["up_team"].fillna("")
    return w.sort_values("days_waiting", ascending=False, ignore_index=True)


def blocked_without_dependency(tl: pd.DataFrame, events: pd.DataFrame, waits: pd.DataFrame,
                               as_of: pd.Timestamp) -> pd.DataFrame:
    """Blocked items that name nothing they wait on: how long each has been blocked."""
    blocked = tl[tl["status"].eq("blocked") & ~tl["id"].isin(waits["down_id"])].copy()
    ev = sort_events(events)
    prev = ev.groupby("work_item_id")["status"].shift()
    since = ev[(ev["status"] == "blocked") & (prev != "blocked")].groupby("work_item_id")["at"].max()
    blocked["blocked_since"] = times_of(blocked["id"], since)
    blocked["days_blocked"] = ((as_of_each(blocked, as_of) - blocked["blocked_since"]) / DAY).round(1)
    return blocked.sort_values("days_blocked", ascending=False, ignore_index=True)


def items_in_status_at(events: pd.DataFrame, when: pd.Timestamp, status: str) -> list[int]:
    """Ids of the items whose latest status at ``when`` was ``status`` (drill-down of a flow band)."""
    ev = sort_events(events[events["at"] <= when])
    last = ev.groupby("work_item_id")["status"].last()
    return last[last == status].index.tolist()


def team_waits(waits: pd.DataFrame) -> pd.DataFrame:
    """Which team is waited on most (cross-team waits only): items waiting and total days."""
    cross = waits[waits["cross_team"]]
    if cross.empty:
        return pd.DataFrame(columns=["waited_on_team", "items_waiting", "total_days", "waiting_teams"])
    g = cross.groupby(cross["up_team"].fillna("(no team)"))
    out = pd.DataFrame({"items_waiting": g["down_id"].nunique(), "total_days": g["days_waiting"].sum().round(1),
                        "waiting_teams": g["down_team"].agg(lambda s: ", ".join(sorted(set(s.dropna()))))})
    return out.reset_index(names="waited_on_team").sort_values(["total_days", "items_waiting"], ascending=False,
                                                               ignore_index=True)


def longest_chain(tl: pd.DataFrame, deps: pd.DataFrame) -> list[str]:
    """Keys of the longest chain of unfinished items each waiting on the next (cycles are ignored)."""
    import networkx as nx

    open_ids = set(tl.loc[tl["is_open"], "id"])
    d = deps.dropna(subset=["depends_on_item_id"])
    graph = nx.DiGraph()
    graph.add_edges_from((int(u), int(v)) for v, u in zip(d["work_item_id"], d["depends_on_item_id"])
                         if int(u) in open_ids and int(v) in open_ids)
    if graph.number_of_edges() == 0:
        return []
    if not nx.is_directed_acyclic_graph(graph):
        graph.remove_edges_from(e for cycle in nx.simple_cycles(graph) for e in zip(cycle, cycle[1:] + cycle[:1]))
    keys = tl.set_index("id")["external_key"]
    return [str(keys[i]) for i in nx.dag_longest_path(graph)]


def filter_items(items: pd.DataFrame, teams: list[str] | None = None, sources: list[str] | None = None,
                 kinds: list[str] | None = None, workflows: list[str] | None = None) -> pd.DataFrame:
    """The items of these teams, sources, kinds and workflows; every item for a filter left empty."""
    out = items
    if workflows and "workflow" in out:
        out = out[out["workflow"].isin(workflows)]
    if teams:
        out = out[out["team"].isin(teams)]
    if sources:
        out = out[out["source"].isin(sources)]
    if kinds:
        out = out[out["item_type"].isin(kinds)]
    return out


def selected_values(event: object) -> list[object]:
    """The ``customdata`` of the points or bars picked in a chart (st.plotly_chart selection event)."""
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    out = []
    for p in points:
        value = p.get("customdata", p.get("id"))  # treemap/sunburst clicks carry the box id
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            out.append(value)
    return out
