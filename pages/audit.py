"""Audit trail: every import, undo, edit, rule, signal action and sign-in, with before and after."""
import pandas as pd
import streamlit as st

from ui import cache, chrome, signin

key = chrome.page_setup("Audit trail")
viewer, marks = signin.viewer(), cache.audit_key(key)
choices = cache.audit_choices(marks)
if not choices["action"]:
    st.info("Nothing has been recorded yet: imports, edits and sign-ins appear here.")
    st.stop()

with st.sidebar:
    who = st.selectbox("User", choices["user"], index=None, placeholder="everyone")
    entity = st.selectbox("Entity", choices["entity"], index=None, placeholder="everything")
    action = st.selectbox("Action", choices["action"], index=None, placeholder="every action")
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).date()
    period = st.date_input("Dates (UTC)", (today - pd.Timedelta(days=90), today))
first, last = period if isinstance(period, (tuple, list)) and len(period) == 2 else (None, None)
shown = cache.audit_trail(marks, viewer, who, entity, action, first, last)
if viewer.role == "manager":
    st.caption("Managers see their own entries.")
st.caption(f"{len(shown):,} entr{'y' if len(shown) == 1 else 'ies'}, newest first"
           + (" (the latest 20,000)" if len(shown) >= 20_000 else ""))
chrome.table(shown.drop(columns=["id"], errors="ignore"), "audit_trail",
             column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                            "entity_id": None,
                            "before": st.column_config.TextColumn("Before", width="medium"),
                            "after": st.column_config.TextColumn("After", width="medium")})
