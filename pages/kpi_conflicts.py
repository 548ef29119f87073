"""KPI conflicts: incentives that pull against each other, declared and observed; KPI status against target."""
import streamlit as st

from core.kpis.analytics import band_counts, chart_page_labels, kpi_segments, readings_behind
from core.reporting import charts
from core.text import inert
from ui import cache, chrome

HEADLINE = "Headline (the whole)"

key = chrome.page_setup("KPI conflicts")
frames = cache.kpi_frames(key)
if frames["kpis"].empty:
    chrome.stop_empty("No KPIs yet: import a strategy workbook or a scorecard first.")
report = cache.kpi_report(key)
status, conflicts = report["status"], report["conflicts"]

cols = st.columns(5)
for col, (band, count) in zip(cols, band_counts(status).items()):
    col.metric(band.title(), count)
cols[4].metric("Conflicts", len(conflicts))

st.subheader("Conflicts")
if conflicts.empty:
    st.success("No KPI is expected or observed to worsen when another one improves.")
for c in conflicts.itertuples():
    st.markdown(f"{':red' if c.kind == 'declared' else ':orange'}[**{c.kind.title()}**] · {inert(c.sentence)}")
with st.expander(f"{len(report['not_judged']):,} KPI pair(s) not judged (fewer than 12 common periods)"):
    chrome.table(report["not_judged"][["kpi_a", "kpi_b", "n"]], "kpi_pairs_not_judged")

st.plotly_chart(charts.conflict_heatmap(report["matrix"]), width="stretch")

st.subheader("KPI status")
table = status[["code", "name", "owner", "objective", "direction", "target", "tolerance", "latest_period",
                "latest_value", "status", "worsening_periods"]]
chrome.table(table, "kpi_status",
             column_config={"latest_period": st.column_config.DateColumn("Latest period")})
pages = chart_page_labels(len(status))
page = st.selectbox("KPIs drawn", range(len(pages)), format_func=pages.__getitem__) if len(pages) > 1 else 0
st.plotly_chart(cache.kpi_small_multiples(key, page), width="stretch")
code = st.selectbox("Readings behind a KPI", status["code"].tolist())
segment = None
if segments := kpi_segments(status, frames["segments"], code):  # readings kept per region, site or team too
    picked = st.selectbox("Segment", [HEADLINE, *segments])
    segment = None if picked == HEADLINE else picked
behind = readings_behind(status, frames["readings"], code, frames["segments"], segment)
chrome.table(behind[["period", "value", "source_file", "source_row"]], "kpi_readings",
             column_config={"period": st.column_config.DateColumn("Period")})

st.subheader("Objectives: weakest KPI")
chrome.table(report["objectives"][["code", "title", "owner", "reported_rag", "measured_status", "weakest_kpi"]],
             "objectives_by_weakest_kpi")
