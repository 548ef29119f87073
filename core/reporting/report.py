"""The executive report: headline figures with their change, the five things needing attention, data freshness.

One function, :func:`build_report`, computes it from the loaded frames by calling
each view's own analytics; the Overview page, ``python -m core report --json`` and
the steering-pack export all read its result, so no figure is computed twice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.alignment import queries as alignment_queries
from core.alignment.analytics import AlignmentReport, alignment_report
from core.flow import queries as flow_queries
from core.flow.report import FlowReport, flow_report
from core.kpis import queries as kpi_queries
from core.kpis.analytics import KpiReport, band_counts, kpi_report
from core.kpis.health import reality_report
from core.reporting.snapshot import events_at, items_at, open_signals_at, readings_at
from core.reporting.trends import headline_trends
from core.store import batches, tables
from core.store.values import is_blank, is_missing, plain
from core.strategy import queries as strategy_queries

FRAME_NAMES = ("items", "alignment_items", "events", "deps", "kpis", "readings", "incentives", "effects",
               "objectives", "signals", "batches", "people")
LEAD_TITLE = r"\b(?:manager|lead|head|director|chief)\b"


@dataclass(frozen=True)
class ReportOptions:
    """The report's knobs: how far back a change is measured, when a source or a status counts as stale."""

    period_days: int = 28  # "change since the previous period"
    stale_source_days: int = 14  # a source not imported for this long is flagged
    stale_status_days: int = 14  # the status-vs-reality stale-status rule
    attention: int = 5
    recent_weeks: int = 12  # the median cycle time is of items finished in these weeks

    @classmethod
    def from_env(cls) -> "ReportOptions":
        """THROUGHLINE_REPORT_PERIOD_DAYS and THROUGHLINE_STALE_SOURCE_DAYS override the defaults."""
        def num(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            return int(raw) if raw.isdigit() and int(raw) > 0 else default

        return cls(period_days=num("THROUGHLINE_REPORT_PERIOD_DAYS", cls.period_days),
                   stale_source_days=num("THROUGHLINE_STALE_SOURCE_DAYS", cls.stale_source_days))


def load_frames(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every frame the report needs (the page loads the same frames through its caches)."""
    return {"items": flow_queries.work_items_frame(engine),
            "alignment_items": alignment_queries.alignment_items_frame(engine),
            "events": flow_queries.status_events_frame(engine), "deps": flow_queries.dependencies_frame(engine),
            "kpis": kpi_queries.kpis_frame(engine), "readings": kpi_queries.readings_frame(engine),
            "incentives": kpi_queries.incentives_frame(engine), "effects": kpi_queries.effects_frame(engine),
            "objectives": strategy_queries.objectives_frame(engine), "signals": kpi_queries.signals_frame(engine),
            "batches": batches.list_batches(engine, limit=100_000), "people": tables.people_frame(engine)}


class Views(TypedDict):
    """Each view's own report, as the data stood at one moment (None: the view has no data to report on)."""

    flow: FlowReport | None
    kpi: KpiReport
    reality: pd.DataFrame
    alignment: AlignmentReport | None
    signals: pd.DataFrame  # the signals open then
    strategy_loaded: bool  # any objective at all (without, alignment has nothing to say)


class ExecutiveReport(TypedDict):
    """What :func:`build_report` returns: the Overview page, ``report --json`` and the steering pack read it."""

    as_of: pd.Timestamp | None
    period_days: int
    figures: dict[str, Any]  # headline figure key → value now (core.reporting.report.FIGURES)
    previous: dict[str, Any]  # the same a period earlier (empty without dated data)
    headline: list[dict[str, Any]]  # one row per figure: label, value, previous, change, better, format, view…
    attention: pd.DataFrame
    freshness: pd.DataFrame
    views: Views
    trends: dict[str, pd.Series]  # figure key → its value at each of the last 12 period ends (core.reporting.trends)


# --------------------------------------------------------------------------- the views, at a date
def views_at(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp | None, opts: ReportOptions) -> Views:
    """Each view's own report for the data as it stood at ``cutoff`` (None: as it stands)."""
    items, events, readings = frames["items"], frames["events"], frames["readings"]
    signals = frames["signals"]
    if cutoff is not None:
        items, events = items_at(items, events, cutoff), events_at(events, cutoff)
        readings, signals = readings_at(readings, cutoff), open_signals_at(signals, cutoff)
    elif len(signals):
        signals = signals[signals["state"] != "resolved"]
    flow = flow_report(items, events, frames["deps"], as_of=cutoff) if len(items) else None
    kpi = kpi_report(frames["kpis"], readings, frames["incentives"], frames["effects"], frames["objectives"])
    reality = reality_report(kpi, flow, opts.stale_status_days) if flow is not None else pd.DataFrame()
    align_items = frames["alignment_items"]
    if cutoff is not None and len(align_items):
        then = items.set_index("id")
        align_items = align_items[align_items["id"].isin(then.index)].copy()
        align_items["status"] = align_items["id"].map(then["status"])
        align_items["done_at"] = align_items["id"].map(then["done_at"])
    measured = kpi["objectives"][["code", "measured_status"]] if len(kpi["objectives"]) else pd.DataFrame(
        columns=["code", "measured_status"])
    has_strategy = len(align_items) and len(frames["objectives"])
    alignment = alignment_report(align_items, frames["objectives"], measured) if has_strategy else None
    return Views(flow=flow, kpi=kpi, reality=reality, alignment=alignment, signals=signals,
                 strategy_loaded=bool(len(frames["objectives"])))


def figures(views: Views, opts: ReportOptions) -> dict[str, Any]:
    """The headline numbers of every view (None where the data cannot say)."""
    out: dict[str, Any] = {}
    al = views["alignment"]  # None without work items or without any objective: no strategy to align to
    out["linked_share"] = al["headline"]["open_linked_share"] if al else None
    out["hidden_ratio"] = al["headline"]["hidden_ratio"] if al else None
    out["alignment_counts"] = ({k: al["headline"][k] for k in ("open_items", "items", "hidden_items")} if al
                               else None)
    out["strategy_loaded"] = views["strategy_loaded"]
    flow = views["flow"]
    if flow is not None:
        tl = flow["timeline"]
        as_of = flow["as_of"]
        out["wip"] = int(tl["is_wip"].sum())
        out["not_tracked"] = int(tl["not_tracked"].sum())
        wf = flow["workflows"]
        current = wf[~wf["stale"]]  # a stale export's old pace is not this week's
        out["throughput"] = round(float(current["done_per_week"].sum()), 1)
        out["stale_workflows"] = list(flow["stale_workflows"])
        busiest = current[current["median_cycle_days"].notna()].sort_values(["items", "workflow"],
                                                                            ascending=[False, True])
        out["median_cycle_days"] = (round(float(busiest["median_cycle_days"].iloc[0]), 1) if len(busiest) else None)
        out["median_cycle_workflow"] = str(busiest["workflow"].iloc[0]) if len(busiest) else None
        out["workflows"] = int(len(wf))
        out["aging_past_p85"] = int(flow["aging"]["beyond_p85"].sum()) if len(flow["aging"]) else 0
        waits = flow["team_waits"]
        out["top_wait_team"] = str(waits["waited_on_team"].iloc[0]) if len(waits) else None
        out["top_wait_days"] = float(waits["total_days"].iloc[0]) if len(waits) else 0.0
        out["as_of"] = as_of.isoformat()
    else:
        out.update(wip=None, not_tracked=None, throughput=None, stale_workflows=[], median_cycle_days=None,
                   median_cycle_workflow=None, workflows=0, aging_past_p85=None, top_wait_team=None,
                   top_wait_days=None, as_of=None)
    out.update({f"kpi_{band}": n for band, n in band_counts(views["kpi"]["status"]).items()})
    out["open_signals"] = int(len(views["signals"]))
    out["conflicts"] = int(len(views["kpi"]["conflicts"]))
    out["green_but_red"] = int(len(views["reality"]))
    return out


# Label, view, which way is better (None: neither), format
FIGURES: dict[str, tuple[str, str, str | None, str]] = {
    "linked_share": ("Open work linked", "alignment", "higher", "pct"),
    "hidden_ratio": ("Hidden work", "alignment", "lower", "pct"),
    "wip": ("Work in progress", "flow", None, "int"),
    "throughput": ("Done per week", "flow", "higher", "num"),
    "median_cycle_days": ("Median cycle (days)", "flow", "lower", "num"),
    "aging_past_p85": ("Aging past p85", "flow", "lower", "int"),
    "top_wait_days": ("Top team wait (days)", "flow", "lower", "num"),
    "kpi_green": ("KPIs green", "kpi", "higher", "int"),
    "kpi_amber": ("KPIs amber", "kpi", "lower", "int"),
    "kpi_red": ("KPIs red", "kpi", "lower", "int"),
    "kpi_grey": ("KPIs without data", "kpi", "lower", "int"),
    "open_signals": ("Open signals", "signals", "lower", "int"),
    "conflicts": ("KPI conflicts", "kpi", "lower", "int"),
    "green_but_red": ("Green but red", "reality", "lower", "int"),
}
HELP = {
    "linked_share": "Open work items linked to an objective, as a share of every open work item.",
    "hidden_ratio": "Work items (open and done) that serve no objective, as a share of every work item: capacity "
                    "spent with no strategic value. Not the complement of 'Open work linked', whose denominator is "
                    "open work only.",
    "wip": "Items with a known status and start that are started and not done (items with no status or no start "
           "are counted as not tracked).",
    "throughput": "Items finished per week: finishes in the 4 weeks up to each workflow's own latest change, "
                  "divided by 4, summed over the workflows that are current (stale exports left out).",
    "median_cycle_days": "Median start → done of the items finished in the last 12 weeks, in the workflow with "
                         "the most items (cycle times of different workflows are not mixed).",
    "aging_past_p85": "Open items older than the 85th percentile of their own workflow's past cycle times.",
    "top_wait_days": "Total days other teams' items have waited on the most waited-on team.",
    "kpi_grey": "KPIs with no reading in the last 4 weeks or no target.",
    "open_signals": "KPI signals not yet resolved.",
    "conflicts": "Declared and observed conflicts between KPIs teams are measured on.",
    "green_but_red": "Objectives and items reported green or amber while measured red.",
}


def _counts_note(now: dict[str, Any], of: str, part: str, what: str) -> str | None:
    counts = now.get("alignment_counts")
    return f"{counts[part]:,} of {counts[of]:,} {what}" if counts and part in counts else None


NOTES = {  # the caption under a figure: what it is of, or where it was measured
    "top_wait_days": lambda now: f"Waited on: {now['top_wait_team']}" if now.get("top_wait_team") else None,
    "median_cycle_days": lambda now: (f"In {now['median_cycle_workflow']}" + (
        f" (1 of {now['workflows']} workflows)" if now.get("workflows", 0) > 1 else "")
        if now.get("median_cycle_workflow") else None),
    "wip": lambda now: f"{now['not_tracked']:,} open items not tracked" if now.get("not_tracked") else None,
    "hidden_ratio": lambda now: _counts_note(now, "items", "hidden_items", "items serve no objective"),
    "linked_share": lambda now: (f"of {now['alignment_counts']['open_items']:,} open items"
                                 if now.get("alignment_counts") else None if now.get("strategy_loaded", True)
                                 else "No strategy loaded yet"),
}


def headline(now: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    """Each figure with its value, its value a period earlier, the change, and the view behind it."""
    rows = []
    for key, (label, view, better, fmt) in FIGURES.items():
        value, prev = now.get(key), before.get(key)
        change = (round(value - prev, 4) if isinstance(value, (int, float)) and isinstance(prev, (int, float))
                  else None)
        note = NOTES[key](now) if key in NOTES else None
        rows.append({"key": key, "label": label, "value": value, "previous": prev, "change": change,
                     "better": better, "format": fmt, "view": view, "note": note, "help": HELP.get(key)})
    return rows


def format_value(value: Any, fmt: str) -> str:
    """How a headline figure reads: 29%, 26.2, 1,204; n/a when the data cannot say."""
    if is_missing(value):
        return "n/a"
    if fmt == "pct":
        return f"{value:.0%}"
    if fmt == "int":
        return f"{int(value):,}"
    return f"{value:,.1f}"


def format_change(change: Any, fmt: str) -> str | None:
    """The change since the previous period, signed (percentage points for shares)."""
    if is_missing(change):
        return None
    if fmt == "pct":
        return f"{change * 100:+.1f} pts"
    if fmt == "int":
        return f"{int(round(change)):+,}"
    return f"{change:+,.1f}"


# --------------------------------------------------------------------------- attention
def attention(views: Views, frames: dict[str, pd.DataFrame], limit: int = 5) -> pd.DataFrame:
    """The things most needing attention, ranked by how long each has been wrong, with an owner and a reason.

    Candidates, each scored in days: red KPIs (days red), green-but-red objectives and items (days the gap
    has lasted), open signals (days since the period that raised them, × 0.8), the most waited-on team
    (average days each item has waited), objectives with no or several owners (30), and the team with the
    most hidden work (its hidden share × 100). One entry per entity (the strongest reason wins); the worst
    of each kind comes first, then the rest by score.
    """
    rows: list[dict[str, Any]] = []
    kpi = views["kpi"]
    status = kpi["status"]
    as_of = views["flow"]["as_of"] if views["flow"] is not None else pd.Timestamp.now()
    for k in status[status["status"] == "red"].itertuples():
        since = pd.Timestamp(k.red_since) if pd.notna(k.red_since) else None
        days = (pd.Timestamp(k.latest_period) - since).days if since is not None else 0
        rows.append(_item("kpi", k.code, k.owner, max(days, 1),
                          f"{k.name} is red: {k.latest_value:g} against a target of {k.target:g}"
                          + (f", red since {since:%d %b %Y}." if since is not None else "."), "kpi"))
    for r in views["reality"].itertuples():
        rows.append(_item(r.entity, r.key, r.owner, float(r.gap_days) if pd.notna(r.gap_days) else 1.0,
                          f"{r.title} is reported {r.reported} but {r.causes}.", "reality"))
    signals = views["signals"]
    for s in signals.itertuples():
        raised = s.period if pd.notna(s.period) else s.opened_at
        days = max((pd.Timestamp(as_of) - pd.Timestamp(raised)).days, 1) if pd.notna(raised) else 1
        rows.append(_item("kpi" if s.entity == "kpi" else s.entity, s.kpi if isinstance(s.kpi, str) else
                          f"{s.entity} {s.entity_id}", s.owner, days * 0.8, f"Signal: {s.message}", "signals"))
    if views["flow"] is not None and len(views["flow"]["team_waits"]):
        w = views["flow"]["team_waits"].iloc[0]
        waits = views["flow"]["waits"]
        up = waits[waits["up_team"] == w["waited_on_team"]]
        owner = up["up_owner"].mode().iloc[0] if "up_owner" in up and up["up_owner"].notna().any() else None
        rows.append(_item("team", str(w["waited_on_team"]), owner, float(w["total_days"]) / max(w["items_waiting"], 1),
                          f"{int(w['items_waiting'])} item(s) of {w['waiting_teams'] or 'other teams'} wait on "
                          f"{w['waited_on_team']}: {w['total_days']:.0f} days in total.", "flow"))
    objectives = frames["objectives"]
    for o in objectives[objectives["owner"].isna()].itertuples():
        named = None if is_blank(o.owner_text) else o.owner_text
        rows.append(_item("objective", o.code, None, 30.0,
                          f"{o.code} {o.title} has {'several owners (' + named + ')' if named else 'no owner'}: "
                          "nobody is accountable for it.", "strategy"))
    al = views["alignment"]
    if al and len(al["by_team"]):
        busy = al["by_team"][(al["by_team"]["items"] >= 20) & (al["by_team"]["team"] != "(none)")]
        if len(busy) and busy["hidden_ratio"].iloc[0] >= 0.2:
            t = busy.iloc[0]
            rows.append(_item("team", str(t["team"]), team_leads(frames["people"]).get(t["team"]),
                              float(t["hidden_ratio"]) * 100,
                              f"{t['hidden_ratio']:.0%} of {t['team']}'s work ({int(t['hidden'])} of {int(t['items'])} "
                              "items) serves no objective.", "alignment"))
    if not rows:
        return pd.DataFrame(columns=["rank", "what", "key", "owner", "reason", "days", "view"])
    ranked = pd.DataFrame(rows).sort_values("days", ascending=False, kind="stable")
    ranked = ranked.drop_duplicates(["what", "key"], keep="first")
    # the worst of each kind of problem first, so five overdue tasks cannot hide a red KPI or a stalled team
    first = ranked[ranked.groupby("view").cumcount() < 1]
    out = pd.concat([first, ranked.drop(first.index)]).head(limit)
    out = out.sort_values("days", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["owner"] = out["owner"].fillna("nobody named")
    out["days"] = out["days"].round(0).astype(int)
    return out


def team_leads(people: pd.DataFrame) -> dict[str, str]:
    """Team → the person whose role title says they lead it (manager, lead, head…), to name an owner for a team."""
    if people.empty or "role_title" not in people:
        return {}
    leads = people[people["team"].notna() & people["role_title"].fillna("").str.contains(LEAD_TITLE, case=False)]
    return leads.drop_duplicates("team").set_index("team")["name"].to_dict()


def _item(what: str, key: str, owner: Any, days: float, reason: str, view: str) -> dict[str, Any]:
    return {"what": what, "key": key, "owner": None if is_blank(owner) else owner,
            "reason": reason, "days": float(days), "view": view}


# --------------------------------------------------------------------------- freshness
def freshness(batches: pd.DataFrame, now: pd.Timestamp, stale_days: int) -> pd.DataFrame:
    """When each source (or kind of sheet) was last imported, and whether that is too long ago."""
    cols = ["source", "last_import", "days_ago", "stale"]
    imports = batches[(batches["kind"] != "edit") & (batches["state"] == "committed")] if len(batches) else batches
    if imports.empty:
        return pd.DataFrame(columns=cols)
    name = imports["source"].where(imports["source"].notna(), imports["file_name"])
    last = pd.to_datetime(imports["created_at"]).groupby(name.values).max()
    out = last.rename("last_import").rename_axis("source").reset_index()
    return aged(out.sort_values("last_import", ignore_index=True), now, stale_days)[cols]


def aged(fresh: pd.DataFrame, now: pd.Timestamp, stale_days: int) -> pd.DataFrame:
    """Days since each source's last import, as of ``now``: a report kept since yesterday (core.store.snapshots)
    is aged again when it is read, since the clock moves on without the data."""
    out = fresh.copy()
    out["days_ago"] = ((now - pd.to_datetime(out["last_import"])) / pd.Timedelta(days=1)).round(1)
    out["stale"] = out["days_ago"] > stale_days
    return out


def scoped_batches(batches: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The imports a team-scoped manager may see in freshness: those of the sources their team's items come from."""
    if batches.empty:
        return batches
    return batches[batches["source"].isin(set(items["source"].dropna()))]


# --------------------------------------------------------------------------- all together
def build_report(frames: dict[str, pd.DataFrame], opts: ReportOptions = ReportOptions(),
                 now: pd.Timestamp | None = None, scope: str | None = None) -> ExecutiveReport:
    """Headline (now and a period earlier), attention list, freshness, and each view's own report.

    ``scope``: the frames are already one team's (a scoped manager); freshness then names only its sources.
    """
    now = now or pd.Timestamp.utcnow().tz_localize(None)
    if scope is not None:
        frames = {**frames, "batches": scoped_batches(frames["batches"], frames["items"])}
    current = views_at(frames, None, opts)
    as_of = current["flow"]["as_of"] if current["flow"] is not None else None
    if as_of is None and len(frames["readings"]):
        as_of = frames["readings"]["period"].max()
    previous = views_at(frames, as_of - pd.Timedelta(days=opts.period_days), opts) if as_of is not None else None
    now_figs = figures(current, opts)
    before_figs = figures(previous, opts) if previous is not None else {}
    return ExecutiveReport(as_of=as_of, period_days=opts.period_days, figures=now_figs, previous=before_figs,
                           headline=headline(now_figs, before_figs),
                           attention=attention(current, frames, opts.attention),
                           freshness=freshness(frames["batches"], now, opts.stale_source_days), views=current,
                           trends=headline_trends(current, frames, opts.period_days))


def report_json(report: ExecutiveReport) -> dict[str, Any]:
    """The JSON shape of ``python -m core report --json``: the headline and the attention list, nothing else."""
    return {"as_of": plain(report["as_of"]), "period_days": report["period_days"],
            "headline": [{k: plain(v) for k, v in row.items()} for row in report["headline"]],
            "attention": [{k: plain(v) for k, v in row.items()} for row in report["attention"].to_dict("records")],
            "freshness": [{k: plain(v) for k, v in row.items()} for row in report["freshness"].to_dict("records")]}
