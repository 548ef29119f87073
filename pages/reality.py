"""Status vs reality: reported green (or amber) while the measurement says red, longest gaps first."""
import streamlit as st

from ui import cache, chrome

key = chrome.page_setup("Status vs reality")
items, _events, _deps = cache.flow_frames(key)
if items.empty:
    chrome.stop_empty("Nothing to compare yet: import work items (a tracker, a plan) and KPIs first.")
stale_days = st.sidebar.number_input("Stale after (days without an update)", min_value=1, value=14)
gaps = cache.reality(key, int(stale_days))
st.caption("Causes: the objective's KPI is red or worsening, a milestone is overdue, an item is older than the 85th "
           "percentile of past cycle times, or its reported status has not changed for the chosen number of days.")
if gaps.empty:
    st.success("Everything reported green or amber is borne out by the measurements.")
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Green or amber but measured red", len(gaps))
c2.metric("Objectives", int((gaps["entity"] == "objective").sum()))
c3.metric("Longest gap (days)", f"{gaps['gap_days'].max():.0f}")
owners = st.multiselect("Owner", sorted(gaps["owner"].dropna().unique()))
shown = gaps[gaps["owner"].isin(owners)] if owners else gaps
chrome.table(shown, "status_vs_reality",
             column_config={"gap_since": st.column_config.DateColumn("Gap since"),
                            "gap_days": st.column_config.NumberColumn("Gap (days)", format="%.0f"),
                            "causes": st.column_config.TextColumn("Why it measures red", width="large")})
