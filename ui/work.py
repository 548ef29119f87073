"""My work's cached loaders: the teams a viewer may open, a team's items and the notes left with updates.

Keyed like every loader (ui.cache.DataKey: database, data version, scope), so a save shows at once and
a team-scoped manager's key reaches their own team only: the teams list holds just that team, and a
team outside the scope loads no items.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts.auth import Viewer
from core.work import desk
from core.work import items as work_items
from core.work import queries as work_queries
from ui import cache
from ui.cache import DataKey


@st.cache_data(show_spinner=False, max_entries=8)
def teams(key: DataKey) -> pd.DataFrame:
    """Every team (id, name, stale_days), or only the scoped viewer's."""
    frame = work_queries.tracker_teams_frame(cache.engine())
    return frame if key[2] is None else frame[frame["name"] == key[2]].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=16)
def items(key: DataKey, team_id: int) -> pd.DataFrame:
    """One team's items (its own or its people's), when the viewer's scope reaches that team."""
    frame = work_queries.tracker_items_frame(cache.engine(), team_id)
    in_scope = team_id in set(teams(key)["id"])
    return frame if in_scope else frame.iloc[0:0]


@st.cache_data(show_spinner=False, max_entries=16)
def latest_notes(key: DataKey, item_ids: tuple[int, ...]) -> dict[int, str]:
    """The last note left with each item's in-app update (the items are ones the viewer already sees)."""
    return work_items.latest_notes(cache.engine(), list(item_ids))


@st.cache_data(show_spinner=False, max_entries=16)
def account_person(key: DataKey, viewer: Viewer) -> str | None:
    """The person the signed-in account is (core.people's resolution), again after every merge or rename."""
    return desk.account_person(cache.engine(), viewer)
