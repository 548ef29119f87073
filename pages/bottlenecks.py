"""Bottlenecks: where work waits, ages and blocks, from status history and dependencies."""
import pandas as pd
import streamlit as st

from core import cached, charts
from core.analytics.flow import DRILL_COLUMNS, selected_values

key = cached.page_setup("Bottlenecks")
items, _events, _deps = cached.flow_frames(key)
if items.empty:
    st.info("No work items yet: import a tracker or a ticket export first.")
    cached.link("pages/import.py", "Import a spreadsheet", ":material/upload_file:")
    st.stop()

with st.sidebar:
    teams = st.multiselect("Team", sorted(items["team"].dropna().unique()))
    sources = st.multiselect("Source", sorted(items["source"].dropna().unique()))
    kinds = st.multiselect("Kind", sorted(items["item_type"].dropna().unique()))
report = cached.flow_report(key, tuple(teams), tuple(sources), tuple(kinds))
tl = report["timeline"]
st.caption(f"As of {report['as_of']:%Y-%m-%d %H:%M} (the latest status change in the data) · "
           f"{int(tl['is_wip'].sum()):,} items in progress · {len(tl):,} items")


def drill(chart_key: str, rows: pd.DataFrame, by: str, extra: tuple[str, ...] = ()) -> None:
    """Rows behind the picked points/bars, with the file and row they came from."""
    picked = selected_values(st.session_state.get(chart_key))
    if picked:
        shown = rows[rows[by].isin(picked)]
        st.markdown(f"**{len(shown):,} row(s) behind your selection**")
        st.dataframe(shown[[*extra, *[c for c in DRILL_COLUMNS if c in shown]]], hide_index=True, width="stretch")
    else:
        st.caption("Click a point or bar (or drag a box) to see the rows behind it.")


def chart(fig, chart_key: str) -> None:
    st.plotly_chart(fig, key=chart_key, on_select="rerun", selection_mode=("points", "box"), width="stretch")


aging_tab, flow_tab, wait_tab, load_tab, late_tab = st.tabs(
    ["Aging WIP", "Flow", "Waits between teams", "Owner load", "Overdue"])
with aging_tab:
    chart(charts.aging_wip_chart(report["aging"], report["percentiles"]), "aging")
    drill("aging", report["aging"], "id", ("age_days",))
    beyond = report["aging"][report["aging"]["beyond_p85"]]
    st.markdown(f"**{len(beyond):,} item(s) older than the 85th percentile of past cycle times**")
    st.dataframe(beyond[["age_days", *DRILL_COLUMNS]].round({"age_days": 1}), hide_index=True, width="stretch")
with flow_tab:
    if report["cfd_sentence"]:
        st.info(report["cfd_sentence"])
    chart(charts.cumulative_flow_chart(report["cfd"]), "cfd")
    done = tl[tl["finish"].notna() & tl["cycle_days"].notna()]
    chart(charts.cycle_time_chart(done, report["percentiles"]), "cycle")
    drill("cycle", done, "id", ("cycle_days",))
    st.plotly_chart(charts.throughput_chart(report["throughput"]), width="stretch")
    st.markdown("**Lead time (created → done) by team**")
    st.dataframe(report["lead_by_team"].round(1), hide_index=True, width="stretch")
with wait_tab:
    if report["team_waits"].empty:
        st.success("No item waits on an unfinished item of another team.")
    else:
        chart(charts.team_wait_chart(report["team_waits"]), "waits")
        if report["chain"]:
            st.markdown(f"**Longest chain of unfinished work:** {' ← '.join(report['chain'])}")
        waits = report["waits"].rename(columns={"up_team": "team_waited_on"})
        cols = ["down_external_key", "down_title", "down_team", "up_external_key", "team_waited_on", "days_waiting",
                "upstream_overdue", "down_source_file", "down_source_row"]
        picked = selected_values(st.session_state.get("waits"))
        shown = waits[waits["team_waited_on"].isin(picked)] if picked else waits
        st.markdown(f"**{len(shown):,} row(s) behind your selection**" if picked else "**Every wait**")
        st.dataframe(shown[cols], hide_index=True, width="stretch")
with load_tab:
    load = report["owner_load"]
    chart(charts.owner_load_chart(load), "load")
    drill("load", tl[tl["is_wip"]], "owner")
    st.dataframe(load.round(1), hide_index=True, width="stretch")
with late_tab:
    late = report["overdue"]
    if late.empty:
        st.success("Nothing is overdue.")
    else:
        chart(charts.overdue_chart(late), "late")
        drill("late", late.assign(team=late["team"].fillna("(no team)")), "team", ("days_late", "due_at"))
