"""Status vs reality: reported green (or amber) while the measurement says red, longest gaps first."""
import math

import streamlit as st

from core.kpis.health import gap_summary, gaps_of
from core.reporting.report import ReportOptions
from ui import cache, chrome

COLUMNS = {  # the gap table's own widths and formats; labels and blanks come from ui.chrome.table
    "causes": st.column_config.TextColumn("Why it measures red", width="large"),
    "gap_days": st.column_config.NumberColumn("Gap (days)", format="%.0f")}

key = chrome.page_setup("Status vs reality")
if not cache.table_counts(key)["workitem"]:
    chrome.stop_empty("Nothing to compare yet: import work items (a tracker, a plan) and KPIs first.")
stale_days = st.sidebar.number_input("Stale after (days without an update)", min_value=1,
                                     value=ReportOptions.stale_status_days)
gaps = cache.reality(key, int(stale_days))
st.caption("Causes: the objective's KPI is red or worsening, a milestone is overdue, an item is older than the 85th "
           "percentile of past cycle times, or its reported status has not changed for the chosen number of days.")
if gaps.empty:
    st.success("Everything reported green or amber is borne out by the measurements.")
    st.stop()

summary = gap_summary(gaps)
c1, c2, c3 = st.columns(3)
c1.metric("Green or amber but measured red", summary["gaps"])
c2.metric("Objectives", summary["objectives"])
longest = summary["longest_days"]  # NaN when no gap has a start: a dash, never "nan"
c3.metric("Longest gap (days)", "—" if math.isnan(longest) else f"{longest:.0f}")
owners = st.multiselect("Owner", chrome.options(gaps["owner"]))
chrome.table(gaps_of(gaps, owners), "status_vs_reality", column_config=COLUMNS)
