"""The People page's cached loader: proposals are worked out once per data version, not on every click."""
from __future__ import annotations

import streamlit as st

from core.people.review import Review, review
from ui.cache import DataKey, _engine_for


@st.cache_data(show_spinner="Comparing names…", max_entries=8)
def people_review(key: DataKey, kind: str) -> Review:
    """Proposed merges of people or teams; keyed on the data version, so a confirmed merge shows at once.

    Admins only (the page's guard), so the viewer's scope in the key never narrows it.
    """
    return review(_engine_for(key[0]), kind)
