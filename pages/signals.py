"""Signals: KPIs out of variance, routed to a named owner with the KPI's protocol; acknowledge and resolve."""
import pandas as pd
import streamlit as st

from core.kpis.analytics import xmr, xmr_signals
from core.kpis.signals import DEFAULT_BASELINE, set_protocol, set_state
from core.reporting import charts
from core.text import inert
from ui import cache, chrome, signin

key = chrome.page_setup("Signals")
engine = cache.engine()
signals = cache.signals(key)
if signals.empty:
    st.info("No signals: no KPI reading has broken its control limits.")
    st.stop()

c1, c2 = st.columns(2)
owners = c1.multiselect("Owner", sorted(signals["owner"].fillna("(no owner)").unique()))
states = c2.multiselect("State", ["open", "acknowledged", "resolved"], default=["open", "acknowledged"])
shown = signals[signals["state"].isin(states or ["open", "acknowledged", "resolved"])]
if owners:
    shown = shown[shown["owner"].fillna("(no owner)").isin(owners)]
unowned = int(signals["owner"].isna().sum())
if unowned:
    st.warning(f"{unowned} signal(s) have no owner to act: their KPI has no accountable owner.")
chrome.table(shown[["id", "kpi", "period", "rule", "message", "owner", "state", "protocol"]], "signals",
             column_config={"period": st.column_config.DateColumn("Period")})
if shown.empty:
    st.stop()

labels = {int(r.id): f"#{r.id} · {r.kpi} · {r.period:%d %b %Y} · {r.state}" for r in shown.itertuples()}
sid = st.selectbox("Signal", list(labels), format_func=labels.get)
chosen = shown.set_index("id").loc[sid]
frames = cache.kpi_frames(key)
kpi = frames["kpis"].set_index("code").loc[chosen["kpi"]]
readings = frames["readings"][frames["readings"]["kpi_id"] == kpi["id"]]
baseline = int(kpi["baseline_periods"]) if pd.notna(kpi.get("baseline_periods")) else DEFAULT_BASELINE
limits = xmr(readings["value"], baseline)
st.plotly_chart(charts.control_chart(readings["period"], readings["value"], limits,
                                     xmr_signals(readings["period"], readings["value"], baseline),
                                     f"{chosen['kpi']} · {kpi['name']} (XmR)"), width="stretch")
st.markdown(f"**Owner:** {inert(chosen['owner']) or '— none —'}  \n"
            f"**Protocol:** {inert(chosen['protocol']) or '— none yet —'}")
with st.expander("Readings behind this chart (file and row)"):
    chrome.table(readings[["period", "value", "source_file", "source_row"]], "signal_readings",
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
    text = st.text_area("Protocol", value=kpi["protocol"] if pd.notna(kpi.get("protocol")) else "",
                        key=f"proto:{kpi['id']}")
    if st.button("Save protocol", key=f"psave:{kpi['id']}"):
        if chrome.attempt(set_protocol, engine, int(kpi["id"]), text, signin.viewer()):
            st.rerun()
