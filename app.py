"""Throughline: the menu, built from the page registry (ui.nav). All logic lives in core/; each page calls its own setup."""
import streamlit as st

from ui.nav import PAGES, SECTIONS

st.set_page_config(page_title="Throughline", page_icon="🧭", layout="wide")

menu = {section: [st.Page(p.path, title=p.title, icon=p.icon, default=p.key == "overview")
                  for p in PAGES if p.section == section] for section in SECTIONS}
st.navigation(menu).run()
