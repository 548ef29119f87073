"""Signals: KPIs out of variance, routed to a named owner with the KPI's protocol; acknowledge and resolve."""
import streamlit as st

from core.kpis.signals import (
    STATES,
    UNRESOLVED,
    control_series,
    set_protocol,
    set_state,
    shown_signals,
    signal_owners,
    unowned,
)
from core.reporting import kpi_charts
from core.text import inert
from ui import cache, chrome, signin

key = chrome.page_setup("Signals")
engine = cache.engine()
signals = cache.signals(key)
if signals.empty:
    st.info("No signals: no KPI reading has broken its control limits.")
    st.stop()

c1, c2 = st.columns(2)
owners = c1.multiselect("Owner", signal_owners(signals))
states = c2.multiselect("State", list(STATES), default=list(UNRESOLVED))
shown = shown_signals(signals, owners, states)
if missing_owner := unowned(signals):
    st.warning(f"{missing_owner} signal(s) have no owner to act: their KPI has no accountable owner.")
chrome.table(shown[["id", "kpi", "period", "rule", "message", "owner", "state", "protocol"]], "signals",
             column_config={"period": st.column_config.DateColumn("Period")})
if shown.empty:
    st.stop()

labels = {int(r.id): f"#{r.id} · {r.kpi} · {r.period:%d %b %Y} · {r.state}" for r in shown.itertuples()}
sid = st.selectbox("Signal", list(labels), format_func=labels.get)
chosen = shown.set_index("id").loc[sid]
frames = cache.kpi_frames(key)
chart = control_series(frames["kpis"], frames["readings"], chosen["kpi"])
kpi = chart.kpi
st.plotly_chart(kpi_charts.control_chart(chart.readings["period"], chart.readings["value"], chart.limits, chart.findings,
                                     f"{chosen['kpi']} · {kpi['name']} (XmR)"), width="stretch")
st.markdown(f"**Owner:** {inert(chosen['owner']) or '— none —'}  \n"
            f"**Protocol:** {inert(chosen['protocol']) or '— none yet —'}")
with st.expander("Readings behind this chart (file and row)"):
    chrome.table(chart.readings[["period", "value", "source_file", "source_row"]], "signal_readings",
                 column_config={"period": st.column_config.DateColumn("Period")})

with st.form(f"act:{sid}"):
    note = st.text_input("Note (what was done or decided)")
    a, r = st.columns(2)
    ack = a.form_submit_button("Acknowledge", disabled=chosen["state"] != "open")
    res = r.form_submit_button("Resolve", disabled=chosen["state"] == "resolved")
if ack or res:
    try:
        set_state(engine, sid, "acknowledged" if ack else "resolved", signin.viewer(), note)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        chrome.show_error(exc)
    else:
        st.rerun()
with st.expander("Edit the KPI's intervention protocol"):
    text = st.text_area("Protocol", value=chart.protocol, key=f"proto:{kpi['id']}")
    if st.button("Save protocol", key=f"psave:{kpi['id']}"):
        if chrome.attempt(set_protocol, engine, int(kpi["id"]), text, signin.viewer()):
            st.rerun()
