"""Every page's view, computed from one set of raw frames per (database, data version, scope) and kept per data
version (core.store.snapshots), so a cold page reads what an earlier process or the write-time refresh computed.

The pages' loaders (ui/cache.py) and the refresh after a commit (:func:`refresh`) both go through :func:`view`,
so they name and argue every view the same way: a view a page asks for with its default filters is the one the
refresh stored.
"""
from __future__ import annotations

import threading
import time
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterator

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts.auth import scope_flow, scope_items
from core.alignment import queries as alignment_queries
from core.flow import queries as flow_queries
from core.kpis import queries as kpi_queries
from core.reporting.view_packing import pack_subsets, unpack_subsets
from core.store import batches as batch_store
from core.store import snapshots, tables
from core.store.values import choices, plausible_span
from core.strategy import queries as strategy_queries

if TYPE_CHECKING:
    from core.alignment.analytics import AlignmentReport
    from core.flow.report import FlowReport
    from core.kpis.analytics import KpiReport
    from core.reporting.report import ExecutiveReport, ReportOptions

Period = tuple[date, date] | None


class ViewInputs:
    """The raw frames of one database version as one scope may read them, each read on first use and then shared
    read-only (the analytics never mutate their inputs); safe to share between threads."""

    def __init__(self, engine: Engine, version: int, scope: str | None, stored: bool = True) -> None:
        """``stored=False``: every frame and view computed from the raw tables, none read or kept (the check that
        what is stored is what the raw tables give)."""
        self.engine, self.version, self.scope, self.stored = engine, version, scope, stored
        self._frames: dict[str, object] = {}
        self._lock = threading.RLock()

    def _once(self, name: str, read: Callable[[], object], kept: bool = False) -> object:
        """Read once per process; ``kept``: through the stored views too, since Arrow gives 100,000 rows back in
        a tenth of the seconds that building them from SQL rows takes."""
        with self._lock:
            if name not in self._frames:
                self._frames[name] = snapshots.remembered(
                    self.engine, snapshots.ViewKey(f"frames:{name}", self.scope), self.version, read) \
                    if kept and self.stored \
                    else read()
            return self._frames[name]

    def forget(self) -> None:
        """Drop the frames read so far (a caller still holding one keeps it): after the background refresh has
        stored every opening view, pages read those, and a frame a later view needs comes back from its stored
        copy, so a server need not hold 500 MB of raw frames at 120,000 items for the version's lifetime."""
        with self._lock:
            self._frames.clear()

    def flow(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Work items, status events and dependencies."""
        eng = self.engine
        return self._once("flow", lambda: scope_flow(flow_queries.work_items_frame(eng),  # type: ignore[return-value]
                                                     flow_queries.status_events_frame(eng),
                                                     flow_queries.dependencies_frame(eng), self.scope),
                          kept=True)

    def kpi(self) -> dict[str, pd.DataFrame]:
        """KPIs, headline and segment readings, incentives, expected effects, objectives."""
        eng = self.engine
        return self._once("kpi", lambda: {  # type: ignore[return-value]
            "kpis": kpi_queries.kpis_frame(eng), "readings": kpi_queries.readings_frame(eng),
            "segments": kpi_queries.segment_readings_frame(eng), "incentives": kpi_queries.incentives_frame(eng),
            "effects": kpi_queries.effects_frame(eng), "objectives": self.objectives()})

    def alignment(self) -> dict[str, pd.DataFrame]:
        """Work items with objective ids and kept attributes, objectives, rules, people."""
        eng = self.engine
        return self._once("alignment", lambda: {  # type: ignore[return-value]
            "items": scope_items(alignment_queries.alignment_items_frame(eng), self.scope),
            "objectives": self.objectives(), "rules": alignment_queries.rules_frame(eng), "people": self.people()},
            kept=True)

    def objectives(self) -> pd.DataFrame:
        return self._once("objectives", lambda: strategy_queries.objectives_frame(self.engine))  # type: ignore[return-value]

    def people(self) -> pd.DataFrame:
        return self._once("people", lambda: tables.people_frame(self.engine))  # type: ignore[return-value]

    def signals(self) -> pd.DataFrame:
        return self._once("signals", lambda: kpi_queries.signals_frame(self.engine))  # type: ignore[return-value]

    def batches(self) -> pd.DataFrame:
        """Every batch (the report's freshness needs each source's last import, however old)."""
        return self._once("batches", lambda: batch_store.list_batches(self.engine, limit=100_000))  # type: ignore[return-value]


# --------------------------------------------------------------------------- the views, by name
def _flow_choices(inp: ViewInputs) -> dict[str, object]:
    """What the Bottlenecks sidebar offers: workflows (largest first), teams, sources, kinds, the dates' span."""
    from core.flow.workflows import workflow_of

    items, events, _deps = inp.flow()
    return {"workflows": workflow_of(items).value_counts().index.tolist() if len(items) else [],
            "teams": _options(items, "team"), "sources": _options(items, "source"),
            "kinds": _options(items, "item_type"), "items": len(items),
            "span": plausible_span(events["at"], items["created_at"], items["due_at"])}


def _flow_report(inp: ViewInputs, teams: tuple[str, ...], sources: tuple[str, ...], kinds: tuple[str, ...],
                 period: Period, workflows: tuple[str, ...]) -> FlowReport:
    from core.flow.report import flow_report

    items, events, deps = inp.flow()
    return flow_report(items, events, deps, teams=list(teams), sources=list(sources), kinds=list(kinds),
                       workflows=list(workflows), period=period)


def _kpi_report(inp: ViewInputs) -> KpiReport:
    from core.kpis.analytics import kpi_report

    return kpi_report(**{k: v for k, v in inp.kpi().items() if k != "segments"})  # headline series only


def _reality(inp: ViewInputs, stale_days: int) -> pd.DataFrame:
    from core.kpis.health import reality_report

    return reality_report(view(inp, "kpi_report"), view(inp, "flow_report", (), (), (), None, ()), stale_days)


def _alignment_choices(inp: ViewInputs) -> dict[str, object]:
    """What the Alignment sidebar offers: teams, sources, the span of the items' dates; and the kept attribute
    names a rule can match."""
    from core.alignment.analytics import attribute_fields

    items = inp.alignment()["items"]
    return {"teams": _options(items, "team"), "sources": _options(items, "source"), "items": len(items),
            "attributes": attribute_fields(items),
            "span": plausible_span(items["created_at"], items["done_at"])}


def _alignment_report(inp: ViewInputs, teams: tuple[str, ...], sources: tuple[str, ...],
                      period: Period) -> AlignmentReport:
    from core.alignment.analytics import alignment_report, items_in_scope

    frames = inp.alignment()
    return alignment_report(items_in_scope(frames["items"], teams, sources, period), frames["objectives"],
                            view(inp, "kpi_report")["objectives"])


def _rule_counts(inp: ViewInputs) -> pd.DataFrame:
    from core.alignment.rules import rule_counts

    frames = inp.alignment()
    return rule_counts(frames["items"], frames["rules"])


def _suggestions(inp: ViewInputs, sources: tuple[str, ...], limit: int) -> pd.DataFrame:
    from core.alignment.analytics import suggest_for_unlinked

    frames = inp.alignment()
    return suggest_for_unlinked(frames["items"], frames["objectives"], sources, limit)


def _overview(inp: ViewInputs, period_days: int, stale_source_days: int) -> ExecutiveReport:
    from core.reporting.report import ReportOptions, build_report

    items, events, deps = inp.flow()
    kpi, align = inp.kpi(), inp.alignment()
    frames = {"items": items, "events": events, "deps": deps, "alignment_items": align["items"],
              "people": align["people"], "signals": inp.signals(), "batches": inp.batches(),
              **{k: kpi[k] for k in ("kpis", "readings", "incentives", "effects", "objectives")}}
    return _as_shown(build_report(frames, ReportOptions(period_days=period_days, stale_source_days=stale_source_days),
                                  scope=inp.scope))


OVERVIEW_FLOW = ("workflows", "team_waits", "aging", "throughput", "cfd", "lead_by_team")  # the rest: emptied
OVERVIEW_ITEM_COLUMNS = ("id", "external_key", "title", "status", "owner", "team", "source", "objective", "done_at")


def _as_shown(report: ExecutiveReport) -> ExecutiveReport:
    """The report as the Overview and the steering pack read it: of the per-item frames only the rows they show
    (open items linked to an objective; items past their workflow's p85), which keeps a 170 MB report at 120k
    items to a few MB. ``python -m core report`` builds its own and is not cut."""
    from core.alignment.analytics import is_open

    v = report["views"]
    flow, align = v["flow"], v["alignment"]
    if flow is not None:
        cut = {k: f.iloc[0:0] for k, f in flow.items() if isinstance(f, pd.DataFrame) and k not in OVERVIEW_FLOW}
        flow = {**flow, **cut, "aging": flow["aging"][flow["aging"]["beyond_p85"]]}  # type: ignore[typeddict-item]
    if align:
        items = align["items"]
        open_linked = is_open(items) & items["objective"].notna()
        align = {**align, "items": items.loc[open_linked, [c for c in OVERVIEW_ITEM_COLUMNS if c in items]]}  # type: ignore[typeddict-item]
    return {**report, "views": {**v, "flow": flow, "alignment": align}}  # type: ignore[typeddict-item]


VIEWS: dict[str, Callable[..., object]] = {
    "flow_choices": _flow_choices, "flow_report": _flow_report, "kpi_report": _kpi_report, "reality": _reality,
    "alignment_choices": _alignment_choices, "alignment_report": _alignment_report, "rule_counts": _rule_counts,
    "suggestions": _suggestions, "overview": _overview}
SUGGESTIONS_SHOWN = 2_000  # unlinked items the Alignment page scores (scoring costs time per item)


def _options(frame: pd.DataFrame, column: str) -> list[object]:
    """A column's filter choices (core.store.values.choices); none when the frame lacks the column."""
    return choices(frame[column]) if column in frame else []


FLOW_SLICES = ("aging", "finished", "blocked_alone", "overdue")  # rows of the timeline, kept once (view_packing)
# views stored with row slices packed (core.reporting.view_packing): view name → (base frame, its slices)
PACKED_SLICES: dict[str, tuple[str, tuple[str, ...]]] = {"flow_report": ("timeline", FLOW_SLICES)}


def view(inp: ViewInputs, name: str, *params: object) -> object:  # each caller knows its view's type
    """The named view with these arguments: stored for this data version and scope, or computed and stored."""
    if not inp.stored:
        return VIEWS[name](inp, *params)
    key = snapshots.ViewKey(name, inp.scope, tuple(params))
    packing = PACKED_SLICES.get(name)
    if packing is None:
        return snapshots.remembered(inp.engine, key, inp.version, lambda: VIEWS[name](inp, *params))
    base, slices = packing
    return unpack_subsets(snapshots.remembered(  # type: ignore[arg-type]
        inp.engine, key, inp.version,
        lambda: pack_subsets(VIEWS[name](inp, *params), base, slices)))  # type: ignore[arg-type]


def overview(inp: ViewInputs, period_days: int, stale_source_days: int) -> ExecutiveReport:
    """The executive report, its freshness aged to this moment (the clock moves on without the data)."""
    from core.reporting.report import aged

    report: ExecutiveReport = view(inp, "overview", period_days, stale_source_days)  # type: ignore[assignment]
    return {**report, "freshness": aged(report["freshness"], pd.Timestamp.utcnow().tz_localize(None),
                                        stale_source_days)}


def default_views(inp: ViewInputs, opts: ReportOptions) -> list[tuple[str, tuple[object, ...]]]:
    """The views each page opens with before anyone touches a filter, with the arguments the page passes."""
    flow_span = view(inp, "flow_choices")["span"]  # type: ignore[index]
    align_span = view(inp, "alignment_choices")["span"]  # type: ignore[index]
    return [("overview", (opts.period_days, opts.stale_source_days)), ("kpi_report", ()),
            ("flow_report", ((), (), (), flow_span, ())), ("reality", (opts.stale_status_days,)),
            ("alignment_report", ((), (), align_span)), ("rule_counts", ()), ("suggestions", ((), SUGGESTIONS_SHOWN))]


def refresh(engine: Engine, scope: str | None = None, opts: ReportOptions | None = None) -> dict[str, float]:
    """Compute and store every page's opening view for the current data version: run after a commit, so the next
    visitor's cold page reads them. Seconds per view computed; a view already stored is skipped."""
    return refresh_inputs(ViewInputs(engine, tables.data_version(engine), scope), opts)


def refresh_inputs(inp: ViewInputs, opts: ReportOptions | None = None) -> dict[str, float]:
    """:func:`refresh` over frames a server already holds (core.reporting.refresher shares the pages' inputs)."""
    from core.reporting.report import ReportOptions

    spent: dict[str, float] = {}
    for name, params in _refresh_order(inp, opts or ReportOptions.from_env()):
        if inp.stored and snapshots.is_stored(inp.engine, snapshots.ViewKey(name, inp.scope, params), inp.version):
            continue
        t0 = time.perf_counter()
        view(inp, name, *params)
        spent[name] = time.perf_counter() - t0
    return spent


def _refresh_order(inp: ViewInputs, opts: ReportOptions) -> Iterator[tuple[str, tuple[object, ...]]]:
    """The Overview first, before the sidebars' spans are known: it is the page most visitors open after a write,
    and a page asking for it while the refresh computes it waits instead of computing a second copy beside it."""
    first = ("overview", (opts.period_days, opts.stale_source_days))
    yield first
    yield from (v for v in default_views(inp, opts) if v != first)
