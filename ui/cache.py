"""The cached engine and loaders, keyed on the data version and the viewer's scope.

Every commit bumps ``data_version`` (core.store.tables) and every loader takes a
:data:`DataKey` (database URL, data version, scope), so a view never shows data older
than the last import, nor data of another database or another team.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from core.accounts import queries as account_queries
from core.accounts.auth import (
    Viewer,
    visible_audit,
    visible_batches,
)
from core.config import database_url
from core.importing import queries as import_queries
from core.importing.service import PreparedFile
from core.kpis import queries as kpi_queries
from core.reporting import refresher, views
from core.reporting.views import ViewInputs
from core.store import batches as batch_store
from core.store import tables
from core.store.db import make_engine, upgrade_schema
from core.strategy import queries as strategy_queries

if TYPE_CHECKING:  # the analytics load when a view first needs them
    import plotly.graph_objects as go

    from core.alignment.analytics import AlignmentReport
    from core.flow.report import FlowReport
    from core.kpis.analytics import KpiReport
    from core.reporting.report import ExecutiveReport

DataKey = tuple[str, int, str | None]  # database URL, data version, the team a scoped viewer may read
AuditKey = tuple[str, int, int]  # database URL, data version, the newest audit entry's id


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """Loaders take the URL from their key, so a cached frame is always of the database it names."""
    eng = make_engine(url)
    upgrade_schema(eng)
    return eng


def engine() -> Engine:
    """One engine per database URL and server process; the schema is upgraded in place on first use."""
    return _engine_for(database_url())


def data_key(scope: str | None = None) -> DataKey:
    """Cached views are keyed by data version *and* the viewer's scope: one user's view never reaches another's.

    The first page drawn for a new version and scope also starts storing every page's opening view in the
    background (core.reporting.refresher), whoever committed it, so the pages visited next open from stored views.
    """
    key: DataKey = (database_url(), tables.data_version(engine()), scope)
    refresher.ensure(inputs(key))
    return key


@st.cache_data(show_spinner=False, max_entries=8)
def table_counts(key: DataKey) -> dict[str, int]:
    """Rows per table; a scoped viewer (key[2]) gets their team's work items, events and people only."""
    eng = _engine_for(key[0])
    return tables.table_counts(eng) if key[2] is None else import_queries.team_table_counts(eng, key[2])


@st.cache_data(show_spinner=False, max_entries=8)
def batches(key: DataKey) -> pd.DataFrame:
    """The latest 200 import and edit batches, newest first (every viewer's; see viewer_batches)."""
    return batch_store.list_batches(_engine_for(key[0]))


def viewer_batches(key: DataKey, viewer: Viewer) -> pd.DataFrame:
    """The latest batches this viewer may open (a scoped manager: their own; core.accounts.auth.visible_batches)."""
    return visible_batches(batches(key), viewer)


@st.cache_data(show_spinner=False, max_entries=16)
def batch_issues(key: DataKey, viewer: Viewer, batch_id: int) -> pd.DataFrame:
    """The problems an import found, for a batch the viewer may open (none for any other)."""
    issues = batch_store.issues_of(_engine_for(key[0]), batch_id)
    return issues if _may_open(key, viewer, batch_id) else issues.iloc[0:0]


@st.cache_data(show_spinner=False, max_entries=16)
def rejected_rows(key: DataKey, viewer: Viewer, batch_id: int) -> list[dict[str, object]]:
    """The rows an import rejected, as read, with the reasons, for a batch the viewer may open (none for any other).

    They hold whole raw rows of the file, other teams' included: the visibility check is what keeps them private.
    """
    return batch_store.rejected_rows_of(_engine_for(key[0]), batch_id) if _may_open(key, viewer, batch_id) else []


def _may_open(key: DataKey, viewer: Viewer, batch_id: int) -> bool:
    return bool(viewer_batches(key, viewer)["id"].eq(batch_id).any())


@st.cache_data(show_spinner=False, max_entries=8)
def work_item_counts(key: DataKey) -> pd.DataFrame:
    """Work items per source and type with the last import, a scoped viewer's team only."""
    eng = _engine_for(key[0])
    return import_queries.work_item_counts(eng) if key[2] is None else import_queries.team_work_item_counts(eng, key[2])


@st.cache_resource(show_spinner="Reading the file…", max_entries=8)
def prepared_file(sha256: str, _data: bytes, file_name: str, header_rows: tuple[tuple[str | None, int], ...],
                  kinds: tuple[tuple[str | None, str], ...], key: DataKey,
                  include: tuple[str, ...] = ()) -> PreparedFile:
    """Read and map an upload once per (content, header rows, kinds, sheets included, data version).

    The data key makes a newly saved profile (which bumps the data version) apply at once.
    """
    url = key[0]
    from core.importing.service import ImportOptions, prepare, profiles_from_db

    options = ImportOptions(header_rows=dict(header_rows), kinds=dict(kinds), include_sheets=set(include))
    return prepare(_data, file_name, options, profiles_from_db(_engine_for(url)))


@st.cache_resource(show_spinner=False, max_entries=4)
def inputs(key: DataKey) -> ViewInputs:
    """The raw frames of this data version and scope, each read on first use (core.reporting.views), shared
    read-only by every view and page of the same key."""
    return ViewInputs(_engine_for(key[0]), key[1], key[2])


def flow_frames(key: DataKey) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Work items, status events and dependencies (shared read-only; analytics never mutate them), as the
    viewer's scope (key[2]) allows."""
    return inputs(key).flow()


@st.cache_resource(show_spinner=False, max_entries=4)
def flow_choices(key: DataKey) -> dict[str, object]:
    """The Bottlenecks sidebar's choices (workflows, teams, sources, kinds, the dates' span) and the item count,
    kept per data version so a cold page need not read the 100,000 items for them."""
    return views.view(inputs(key), "flow_choices")  # type: ignore[return-value]


@st.cache_resource(show_spinner="Computing flow metrics…", max_entries=16)
def flow_report(key: DataKey, teams: tuple[str, ...], sources: tuple[str, ...], kinds: tuple[str, ...],
                period: tuple[date, date] | None = None, workflows: tuple[str, ...] = ()) -> FlowReport:
    """The Bottlenecks view for the picked teams, sources, kinds and workflows (none picked: all) over the period."""
    return views.view(inputs(key), "flow_report", teams, sources, kinds, period, workflows)  # type: ignore[return-value]


FLOW_CHARTS = {  # the Bottlenecks charts by name: builder and the parts of the FlowReport it draws
    "aging": ("aging_wip_chart", ("aging", "percentiles"), {}), "cfd": ("cumulative_flow_chart", ("cfd",), {}),
    "cycle": ("cycle_time_chart", ("finished", "percentiles"), {}),
    "throughput": ("throughput_chart", ("throughput",), {}), "waits": ("team_wait_chart", ("team_waits",), {}),
    "load_owner": ("owner_load_chart", ("owner_load",), {"by": "owner"}),
    "load_team": ("owner_load_chart", ("team_load",), {"by": "team"}), "late": ("overdue_chart", ("overdue",), {})}


@st.cache_resource(show_spinner=False, max_entries=64)
def flow_chart(key: DataKey, teams: tuple[str, ...], sources: tuple[str, ...], kinds: tuple[str, ...],
               period: tuple[date, date] | None, workflows: tuple[str, ...], name: str) -> go.Figure:
    """One Bottlenecks chart (FLOW_CHARTS) of the flow_report with the same arguments, drawn once (shared
    read-only): plotly took 1.5 s to draw them again on every rerun (a click, a tab) at 120k items."""
    from core.reporting import charts

    builder, parts, options = FLOW_CHARTS[name]
    report = flow_report(key, teams, sources, kinds, period, workflows)
    return getattr(charts, builder)(*(report[p] for p in parts), **options)


def kpi_frames(key: DataKey) -> dict[str, pd.DataFrame]:
    """KPIs, their headline readings and segment readings, incentives, expected effects, objectives (read-only)."""
    return inputs(key).kpi()


@st.cache_resource(show_spinner="Computing KPI status and conflicts…", max_entries=4)
def kpi_report(key: DataKey) -> KpiReport:
    """The KPI conflicts view, judged on the headline series only (segments are shown, never judged)."""
    return views.view(inputs(key), "kpi_report")  # type: ignore[return-value]


@st.cache_resource(show_spinner="Drawing the KPIs…", max_entries=16)
def kpi_small_multiples(key: DataKey, page: int = 0) -> go.Figure:
    """One page of the KPI page's small multiples (core.kpis.analytics.chart_page, worst first), drawn once per
    data version (shared read-only): 110 subplots in one figure took plotly five seconds to lay out."""
    from core.kpis.analytics import chart_page
    from core.reporting.kpi_charts import kpi_small_multiples as draw

    return draw(chart_page(kpi_report(key)["status"], page), kpi_frames(key)["readings"])


@st.cache_resource(show_spinner="Comparing reported status with measurements…", max_entries=4)
def reality(key: DataKey, stale_days: int) -> pd.DataFrame:
    """Status vs reality over every item the viewer may read (the page has no team filter)."""
    return views.view(inputs(key), "reality", stale_days)  # type: ignore[return-value]


@st.cache_data(show_spinner=False, max_entries=8)
def signals(key: DataKey) -> pd.DataFrame:
    """Every signal with its KPI code and owner's name, newest period first."""
    return kpi_queries.signals_frame(_engine_for(key[0]))


def alignment_frames(key: DataKey) -> dict[str, pd.DataFrame]:
    """Work items with objective ids and kept attributes, objectives, rules (shared read-only)."""
    return inputs(key).alignment()


def objectives(key: DataKey) -> pd.DataFrame:
    """Every objective (shared read-only), without reading the work items alignment_frames holds."""
    return inputs(key).objectives()


def people(key: DataKey) -> pd.DataFrame:
    """The live people with their teams (shared read-only): Strategy's and My work's pickers need no work items."""
    return inputs(key).people()


@st.cache_resource(show_spinner=False, max_entries=4)
def alignment_choices(key: DataKey) -> dict[str, object]:
    """The Alignment sidebar's choices (teams, sources, the dates' span) and the item count, kept per version."""
    return views.view(inputs(key), "alignment_choices")  # type: ignore[return-value]


@st.cache_resource(show_spinner="Computing alignment…", max_entries=16)
def alignment_report(key: DataKey, teams: tuple[str, ...], sources: tuple[str, ...],
                     period: tuple[date, date] | None) -> AlignmentReport:
    """The Alignment view of the items the sidebar picks (core.alignment.analytics.items_in_scope)."""
    return views.view(inputs(key), "alignment_report", teams, sources, period)  # type: ignore[return-value]


@st.cache_resource(show_spinner=False, max_entries=4)
def rule_counts(key: DataKey) -> pd.DataFrame:
    """Per alignment rule: items it catches, unlinked, linked here (shared read-only). Every rule change bumps the
    data version; running each pattern over every item took a second on each rerun at 120k items."""
    return views.view(inputs(key), "rule_counts")  # type: ignore[return-value]


@st.cache_resource(show_spinner="Scoring suggestions…", max_entries=4)
def suggestions(key: DataKey, sources: tuple[str, ...], limit: int) -> pd.DataFrame:
    """Objectives suggested for the first ``limit`` unlinked items of these sources (none picked: all); kept per
    data version, so a cold page need not load scikit-learn and score again."""
    return views.view(inputs(key), "suggestions", sources, limit)  # type: ignore[return-value]


def audit_key(key: DataKey) -> AuditKey:
    """The audit trail's cache key: the trail grows with sign-ins too, which change no data (no new data version)."""
    return key[0], key[1], account_queries.newest_audit_id(_engine_for(key[0]))


@st.cache_data(show_spinner=False, max_entries=4)
def audit_choices(key: AuditKey) -> dict[str, list[str]]:
    """The users, entities and actions the trail holds (the filters' choices)."""
    return account_queries.audit_choices(_engine_for(key[0]))


@st.cache_data(show_spinner=False, max_entries=8)
def audit_trail(key: AuditKey, viewer: Viewer, user: str | None, entity: str | None, action: str | None,
                first: date | None, last: date | None) -> pd.DataFrame:
    """The newest 20,000 entries matching the filters (days in UTC, both ends included), of those the viewer may
    read (core.accounts.auth.visible_audit: a manager their own), before and after as text."""
    start, end = account_queries.day_bounds(first, last)
    trail = account_queries.audit_frame(_engine_for(key[0]), user=user, entity=entity, action=action, start=start,
                                        end=end)
    return account_queries.audit_as_text(account_queries.with_entity_keys(_engine_for(key[0]),
                                                                          visible_audit(trail, viewer)))


@st.cache_data(show_spinner=False, max_entries=4)
def strategy_tables(key: DataKey) -> dict[str, pd.DataFrame]:
    """The four tables the Strategy page edits, references as codes and names."""
    return strategy_queries.editable_frames(_engine_for(key[0]))


@st.cache_resource(show_spinner="Summarising every view…", max_entries=4, ttl=3600)
def overview_report(key: DataKey, period_days: int, stale_source_days: int) -> ExecutiveReport:
    """The executive report (core.reporting.report.build_report) over the same frames the views use; kept an hour
    at most in memory, since its freshness ages with the clock (core.reporting.views.overview)."""
    return views.overview(inputs(key), period_days, stale_source_days)


@st.cache_resource(show_spinner=False, max_entries=4)
def overview_charts(key: DataKey, period_days: int, stale_source_days: int) -> dict[str, go.Figure]:
    """The Overview's strategy picture ("strategy", when there are objectives) and trend lines (by figure key),
    drawn once per data version (shared read-only): eleven plotly figures took 0.6 s on every rerun."""
    from core.reporting.charts import sparkline, strategy_picture

    report = overview_report(key, period_days, stale_source_days)
    views_ = report["views"]
    out = {k: sparkline(series) for k, series in report["trends"].items()}
    if len(views_["kpi"]["objectives"]):
        out["strategy"] = strategy_picture(views_["kpi"]["objectives"],
                                           views_["alignment"]["items"] if views_["alignment"] else None)
    return out
