"""Throughline: routes to the pages. All logic lives in core/; each page calls its own setup."""
import streamlit as st

st.set_page_config(page_title="Throughline", page_icon="🧭", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/my_work.py", title="My work", icon=":material/checklist:"),
    st.Page("pages/alignment.py", title="Alignment", icon=":material/target:"),
    st.Page("pages/bottlenecks.py", title="Bottlenecks", icon=":material/hourglass_top:"),
    st.Page("pages/kpi_conflicts.py", title="KPI conflicts", icon=":material/compare_arrows:"),
    st.Page("pages/reality.py", title="Status vs reality", icon=":material/fact_check:"),
    st.Page("pages/signals.py", title="Signals", icon=":material/notifications_active:"),
    st.Page("pages/strategy.py", title="Strategy", icon=":material/account_tree:"),
    st.Page("pages/import.py", title="Import", icon=":material/upload_file:"),
    st.Page("pages/history.py", title="Import history", icon=":material/history:"),
    st.Page("pages/audit.py", title="Audit trail", icon=":material/policy:"),
]
st.navigation(pages).run()
