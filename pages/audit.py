"""Audit trail: every import, undo, edit, rule, signal action and sign-in, with before and after."""
import pandas as pd
import streamlit as st

from core.accounts import queries as account_queries
from core.accounts.auth import visible_audit
from core.reporting.export_safety import csv_bytes
from ui import cache, chrome, signin

key = chrome.page_setup("Audit trail")
engine, viewer = cache.engine(), signin.viewer()
choices = account_queries.audit_choices(engine)
if not choices["action"]:
    st.info("Nothing has been recorded yet: imports, edits and sign-ins appear here.")
    st.stop()

with st.sidebar:
    who = st.selectbox("User", choices["user"], index=None, placeholder="everyone")
    entity = st.selectbox("Entity", choices["entity"], index=None, placeholder="everything")
    action = st.selectbox("Action", choices["action"], index=None, placeholder="every action")
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).date()
    period = st.date_input("Dates (UTC)", (today - pd.Timedelta(days=90), today))
start, end = (period if isinstance(period, (tuple, list)) and len(period) == 2 else (None, None))
trail = account_queries.audit_frame(engine, user=who, entity=entity, action=action,
                         start=pd.Timestamp(start).to_pydatetime() if start else None,
                         end=(pd.Timestamp(end) + pd.Timedelta(days=1)).to_pydatetime() if end else None)
trail = visible_audit(trail, viewer)
if viewer.role == "manager":
    st.caption("Managers see their own entries.")
st.caption(f"{len(trail):,} entr{'y' if len(trail) == 1 else 'ies'}, newest first"
           + (" (the latest 20,000)" if len(trail) >= 20_000 else ""))
shown = trail.assign(before=trail["before"].map(lambda v: "" if v is None else str(v)),
                     after=trail["after"].map(lambda v: "" if v is None else str(v)))
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                            "before": st.column_config.TextColumn("Before", width="medium"),
                            "after": st.column_config.TextColumn("After", width="medium")})
st.download_button("Export these entries (csv)", lambda: csv_bytes(shown), file_name="audit_trail.csv", mime="text/csv",
                   icon=":material/download:")
