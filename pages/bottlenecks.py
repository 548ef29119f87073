"""Bottlenecks: where work waits, ages and blocks, from status history and dependencies."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.flow import drill as rows_of
from core.flow.report import DRILL_COLUMNS
from core.reporting.charts import selected_values
from core.text import inert
from ui import cache, chrome

key = chrome.page_setup("Bottlenecks")
choices = cache.flow_choices(key)  # kept per data version: a cold page need not read 100,000 items for them
if not choices["items"]:
    chrome.stop_empty("No work items yet: import a tracker or a ticket export first.")

workflows = choices["workflows"]
ALL = "All workflows"
with st.sidebar:
    workflow = st.selectbox("Workflow", [ALL, *workflows], index=0 if len(workflows) != 1 else 1,
                            help="Cycle times, percentiles and ages are taken within each workflow (a source, or a "
                                 "source and item type where one source mixes them), as of its own latest change.")
    teams = st.multiselect("Team", choices["teams"])
    sources = st.multiselect("Source", choices["sources"])
    kinds = st.multiselect("Kind", choices["kinds"])
    period = chrome.period_input("Period (flow, cycle time, throughput)", choices["span"])
chosen = () if workflow == ALL else (workflow,)
report = cache.flow_report(key, tuple(teams), tuple(sources), tuple(kinds), period, chosen)
tl, per_workflow = report["timeline"], report["workflows"]
untracked = int(tl["not_tracked"].sum())
if len(per_workflow) == 1:
    as_of = per_workflow["as_of"].iloc[0]
    when = f"As of {as_of:%d %b %Y %H:%M} (the end of this workflow's activity)" if pd.notna(as_of) else "Undated"
else:
    when = f"{len(per_workflow)} workflows, each as of the end of its own activity; percentile lines need one workflow"
st.caption(f"{when} · {int(tl['is_wip'].sum()):,} items in progress · {len(tl):,} items"
           + (f" · {untracked:,} open items not tracked (no status or no start)" if untracked else ""))
if report["stale_workflows"]:
    st.warning("No change in the last 28 days before the newest data, so measured as of their own date: "
               + inert(", ".join(report["stale_workflows"])))
wild = tl[tl["implausible_dates"]]
if len(wild):
    with st.expander(f"{len(wild):,} item(s) with a date before 1990 or over ten years ahead: left out as data "
                     "problems, not moments (fix them in the source file)"):
        chrome.table(wild[[*DRILL_COLUMNS, "created_at", "due_at", "done_at"]], "implausible_dates")
if len(per_workflow) > 1:
    with st.expander("Flow by workflow"):
        chrome.table(per_workflow, "flow_by_workflow")


def drill(chart_key: str, rows: pd.DataFrame, by: str, extra: tuple[str, ...] = ()) -> None:
    """Rows behind the picked points/bars, with the file and row they came from."""
    picked = selected_values(st.session_state.get(chart_key))
    if picked:
        shown = rows_of.picked(rows, by, picked)
        st.markdown(f"**{len(shown):,} row(s) behind your selection**")
        chrome.table(shown[[*extra, *[c for c in DRILL_COLUMNS if c in shown]]], f"{chart_key}_rows")
    else:
        st.caption("Click a point or bar (or drag a box) to see the rows behind it.")


def figure(name: str) -> go.Figure:
    """A chart of this report, drawn once per data version and filters (ui.cache.flow_chart)."""
    return cache.flow_chart(key, tuple(teams), tuple(sources), tuple(kinds), period, chosen, name)


def chart(fig: go.Figure, chart_key: str) -> None:
    st.plotly_chart(fig, key=chart_key, on_select="rerun", selection_mode=("points", "box"), width="stretch")


# Tracked tabs run only the open one: drawing all eight charts was most of a cold page at 120k items
aging_tab, flow_tab, wait_tab, load_tab, late_tab = st.tabs(
    ["Aging WIP", "Flow", "Waits between teams", "Owner load", "Overdue"], key="bottlenecks_tab", on_change="rerun")
if aging_tab.open:
    with aging_tab:
        chart(figure("aging"), "aging")
        drill("aging", report["aging"], "id", ("age_days",))
        beyond = rows_of.past_p85(report["aging"])
        st.markdown(f"**{len(beyond):,} item(s) older than the 85th percentile of past cycle times**")
        chrome.table(beyond[["age_days", *DRILL_COLUMNS]], "aging_past_p85")
if flow_tab.open:
    with flow_tab:
        if report["cfd_sentence"]:
            st.info(report["cfd_sentence"])
        chart(figure("cfd"), "cfd")
        bands = selected_values(st.session_state.get("cfd"))
        if bands:
            week, status, in_band = rows_of.band_items(tl, cache.flow_frames(key)[1], bands[0])
            st.markdown(f"**{len(in_band):,} item(s) '{status.replace('_', ' ')}' at the end of the week of {week}**")
            chrome.table(in_band[DRILL_COLUMNS], "cfd_band_rows")
        done = report["finished"]
        chart(figure("cycle"), "cycle")
        drill("cycle", done, "id", ("cycle_days",))
        chart(figure("throughput"), "throughput")
        weeks = [pd.Timestamp(w) for w in selected_values(st.session_state.get("throughput"))]
        if weeks:
            drill_rows = rows_of.finished_in_weeks(done, weeks)
            st.markdown(f"**{len(drill_rows):,} item(s) finished in the selected week(s)**")
            chrome.table(drill_rows[["finish", *DRILL_COLUMNS]], "throughput_rows")
        st.markdown("**Lead time (created → done) by team**")
        chrome.table(report["lead_by_team"].round(1), "lead_time_by_team")
if wait_tab.open:
    with wait_tab:
        if report["team_waits"].empty:
            st.success("No item waits on an unfinished item of another team.")
        else:
            chart(figure("waits"), "waits")
            if report["chain"]:
                st.markdown(f"**Longest chain of unfinished work:** {inert(' ← '.join(report['chain']))}")
            waits = report["waits"].rename(columns={"up_team": "team_waited_on"})
            cols = ["down_external_key", "down_title", "down_team", "up_external_key", "team_waited_on", "days_waiting",
                    "upstream_overdue", "down_source_file", "down_source_row"]
            picked = selected_values(st.session_state.get("waits"))
            shown = rows_of.picked(waits, "team_waited_on", picked) if picked else waits
            st.markdown(f"**{len(shown):,} row(s) behind your selection**" if picked else "**Every wait**")
            chrome.table(shown[cols], "cross_team_waits")
        if not report["blocked_alone"].empty:
            st.markdown("**Blocked with nothing recorded to wait on** (ask the owner what blocks them)")
            chrome.table(report["blocked_alone"][["days_blocked", *DRILL_COLUMNS]], "blocked_alone")
if load_tab.open:
    with load_tab:
        by = st.radio("Load by", ["owner", "team"], horizontal=True, format_func=str.title)
        load = report[f"{by}_load"]
        chart(figure(f"load_{by}"), f"load_{by}")
        drill(f"load_{by}", rows_of.work_in_progress(tl, by), by)
        chrome.table(load.round(1), f"load_by_{by}")
if late_tab.open:
    with late_tab:
        late = report["overdue"]
        if late.empty:
            st.success("Nothing is overdue.")
        else:
            chart(figure("late"), "late")
            drill("late", rows_of.labelled(late, "team"), "team", ("days_late", "due_at"))
