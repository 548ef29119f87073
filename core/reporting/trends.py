"""The headline figures over the last periods, for the Overview's trend lines, from data the report already holds.

Why not build the report once per period: ``views_at`` runs every view's analytics (flow, KPIs, reality,
alignment), so twelve of them would make the Overview twelve times slower at 120k items. Each series here
is instead one vectorised pass over frames the report has already computed (the flow timeline, the
readings, the signals, the alignment items), sampled at each period end ``as_of − k·period_days``.

The newest point is each figure exactly as the headline computes it (the data as it stands, no cutoff),
so a trend line always ends on the number printed above it. Older points follow the same definition as
far as the history allows:

- ``wip``: items started by then and not finished by then (the timeline's start and finish), plus the items
  in progress now that had started by then. An item now back in "to do" is not counted in the past.
- ``throughput``: finishes in the 4 weeks up to each workflow's "as of" capped at the period end, ÷ 4, summed
  over the workflows not stale then (core.flow.workflows.workflow_summary, stale_workflows).
- ``median_cycle_days``: of the workflow the headline names, items finished in the 12 weeks up to then.
- ``kpi_green`` / ``kpi_amber`` / ``kpi_red`` / ``kpi_grey``: each KPI's latest reading at or before then,
  banded (core.kpis.analytics.band); grey when that reading is over 4 weeks older than the newest one.
- ``open_signals``: signals raised by then and not closed (core.reporting.snapshot.open_signals_at).
- ``linked_share`` / ``hidden_ratio``: the items that existed then, open then when not finished by then.
  Links have no history: an item linked now counts as linked then (as in the report's change).

No series (no trend line) for: ``aging_past_p85`` (each workflow's percentiles and every open item's age would
be recomputed per period), ``top_wait_days`` (dependency waits are rebuilt from the whole status history),
``conflicts`` (observed conflicts are correlations over all readings; declared ones have no dates) and
``green_but_red`` (the reality check needs the whole flow and KPI report of each period).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from core.alignment.analytics import is_linked, is_open
from core.flow.analytics import times_of
from core.flow.workflows import STALE_DAYS
from core.kpis.analytics import BANDS, band
from core.reporting.snapshot import open_signals_at

WEEKS = 4  # the headline's done-per-week window (core.flow.workflows.workflow_summary's default)
RECENT_WEEKS = 12  # the headline's median-cycle window
KPI_STALE = pd.Timedelta(weeks=4)  # core.kpis.analytics.kpi_status's default


def period_ends(as_of: pd.Timestamp, period_days: int, periods: int = 12) -> list[pd.Timestamp]:
    """The period ends, oldest first: as_of − k·period_days for k = periods−1 … 0."""
    return [as_of - pd.Timedelta(days=period_days * k) for k in range(periods - 1, -1, -1)]


def headline_trends(views: Mapping[str, Any], frames: Mapping[str, pd.DataFrame], period_days: int,
                    periods: int = 12) -> dict[str, pd.Series]:
    """Figure key → its value at each period end (index: the period end, oldest first; the last is the headline).

    Only figures with a cheap and honest series are present (see the module docstring); none without a date."""
    flow = views.get("flow")
    readings = frames["readings"]
    as_of = flow["as_of"] if flow is not None else (readings["period"].max() if len(readings) else None)
    if as_of is None or pd.isna(as_of):
        return {}
    ends = period_ends(pd.Timestamp(as_of), period_days, periods)
    cuts: list[pd.Timestamp | None] = [*ends[:-1], None]  # the newest point: the data as it stands
    out: dict[str, pd.Series] = {}
    if flow is not None and len(flow["timeline"]):
        out.update(flow_trends(flow, cuts))
    if len(views["kpi"]["status"]):
        out.update(kpi_trends(views["kpi"]["status"], readings, cuts))
    out["open_signals"] = [signals_open(frames["signals"], c) for c in cuts]
    if views.get("alignment"):
        out.update(alignment_trends(views["alignment"]["items"], frames["events"],
                                    flow["timeline"] if flow is not None else None, cuts))
    index = pd.DatetimeIndex(ends, name="period_end")
    return {k: pd.Series(v, index=index, name=k, dtype=float) for k, v in out.items()}


# --------------------------------------------------------------------------- flow
def flow_trends(flow: Mapping[str, Any], cuts: list[pd.Timestamp | None]) -> dict[str, list[float | None]]:
    """WIP, done per week and the named workflow's median cycle at each cutoff (None: as it stands).

    One pass of numpy comparisons per cutoff over the timeline's start, finish and workflow (no frame copies)."""
    tl = flow["timeline"]
    start, finish = tl["start"].to_numpy("datetime64[us]"), tl["finish"].to_numpy("datetime64[us]")
    is_wip, cycle_days = tl["is_wip"].to_numpy(bool), tl["cycle_days"].to_numpy(float)
    wf_as_of = pd.to_datetime(flow["workflows"].set_index("workflow")["as_of"]).astype("datetime64[us]")
    code = pd.Categorical(tl["workflow"], categories=wf_as_of.index).codes  # −1: not in the summary
    stale_now = set(flow["stale_workflows"])
    busiest = _busiest(flow["workflows"])
    mine = code == (wf_as_of.index.get_loc(busiest) if busiest is not None else -2)
    wip, done, cycle = [], [], []
    for cut in cuts:
        if cut is None:
            wip.append(float(is_wip.sum()))
            ends = wf_as_of
        else:
            c = np.datetime64(pd.Timestamp(cut).to_datetime64(), "us")
            was_wip = (start <= c) & (is_wip | (finish > c))  # NaT compares False either way
            wip.append(float(was_wip.sum()))
            ends = wf_as_of.where(wf_as_of.isna() | (wf_as_of <= cut), cut)
        stale = stale_now if cut is None else _stale(ends)
        end = np.append(ends.to_numpy("datetime64[us]"), np.datetime64("NaT", "us"))[code]
        in_window = (finish > end - np.timedelta64(WEEKS, "W")) & (finish <= end)
        counts = np.bincount(code[in_window & (code >= 0)], minlength=len(wf_as_of))
        done.append(round(float(sum(round(int(n) / WEEKS, 2) for w, n in zip(wf_as_of.index, counts)
                                    if w not in stale)), 1))
        recent = cycle_days[mine & (finish > end - np.timedelta64(RECENT_WEEKS, "W")) & (finish <= end)]
        recent = recent[~np.isnan(recent)]
        cycle.append(round(float(np.median(recent)), 1) if len(recent) else None)
    out: dict[str, list[float | None]] = {"wip": wip, "throughput": done}
    if busiest is not None:
        out["median_cycle_days"] = cycle
    return out


def _busiest(workflows: pd.DataFrame) -> str | None:
    """The workflow the headline's median cycle is from (core.reporting.report.figures' rule)."""
    current = workflows[~workflows["stale"] & workflows["median_cycle_days"].notna()]
    current = current.sort_values(["items", "workflow"], ascending=[False, True])
    return str(current["workflow"].iloc[0]) if len(current) else None


def _stale(ends: pd.Series) -> set[str]:
    dated = ends.dropna()
    return set(dated[dated < dated.max() - pd.Timedelta(days=STALE_DAYS)].index) if len(dated) else set()


# --------------------------------------------------------------------------- KPIs and signals
def kpi_trends(status: pd.DataFrame, readings: pd.DataFrame,
               cuts: list[pd.Timestamp | None]) -> dict[str, list[float]]:
    """How many KPIs were green, amber, red and grey at each cutoff, from each one's latest reading by then."""
    r = readings.sort_values(["kpi_id", "period"])
    counts: dict[str, list[float]] = {f"kpi_{b}": [] for b in BANDS}
    for cut in cuts:
        seen = r if cut is None else r[r["period"] <= cut]
        last = seen.groupby("kpi_id").tail(1).set_index("kpi_id")
        newest = seen["period"].max() if len(seen) else pd.Timestamp.now()
        period = pd.to_datetime(times_of(status["id"], last["period"]))
        value = status["id"].map(last["value"])
        bands = [band(v, t, tol, d) for v, t, tol, d in
                 zip(value, status["target"], status["tolerance"], status["direction"])]
        bands = np.where(period.isna() | (period < newest - KPI_STALE), "grey", bands)
        for b in BANDS:
            counts[f"kpi_{b}"].append(float((bands == b).sum()))
    return counts


def signals_open(signals: pd.DataFrame, cut: pd.Timestamp | None) -> float:
    """Signals open at the cutoff; as it stands: those not resolved (the report's own rule)."""
    if signals.empty:
        return 0.0
    if cut is None:
        return float((signals["state"] != "resolved").sum())
    return float(len(open_signals_at(signals, cut)))


# --------------------------------------------------------------------------- alignment
def alignment_trends(items: pd.DataFrame, events: pd.DataFrame, timeline: pd.DataFrame | None,
                     cuts: list[pd.Timestamp | None]) -> dict[str, list[float | None]]:
    """Open work linked and hidden work among the items that existed at each cutoff."""
    born = items["created_at"]
    if len(events):
        born = born.fillna(times_of(items["id"], events.groupby("work_item_id")["at"].min()))
    closed_now = ~is_open(items)
    done_when = items["done_at"]
    if timeline is not None and len(timeline):
        done_when = done_when.fillna(times_of(items["id"], timeline.set_index("id")["finish"]))
    linked = is_linked(items)
    share, hidden = [], []
    for cut in cuts:
        if cut is None:
            alive, open_ = pd.Series(True, index=items.index), ~closed_now
        else:
            alive = born.isna() | (born <= cut)
            open_ = alive & ~(closed_now & (done_when.isna() | (done_when <= cut)))
        share.append(float(linked[open_].mean()) if open_.any() else None)
        hidden.append(float((~linked[alive]).mean()) if alive.any() else None)
    return {"linked_share": share, "hidden_ratio": hidden}
