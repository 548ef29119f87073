"""People: names that are one person (or one team), proposed with their evidence and merged when an admin confirms."""
import streamlit as st

from core.people import review as people_review
from core.people.merges import merge_people, merge_teams
from core.text import inert
from ui import cache, chrome, signin
from ui.people import people_review as load_review

MAX_GROUPS = 40

key = chrome.page_setup("People", need="admin")
engine, viewer = cache.engine(), signin.viewer()
if done := st.session_state.pop("people_merged", None):
    st.success(inert(done))

choice = st.radio("Compare", ["People", "Teams"], horizontal=True, key="people_kind")
kind = "person" if choice == "People" else "team"
data = load_review(key, kind)
st.caption(f"{data.candidates:,} {choice.lower()} compared. A merge re-points every row that names the duplicate "
           "to the survivor and keeps the duplicate's name, so later imports map it by themselves.")

groups = data.groups()
if not groups:
    st.info(f"No {choice.lower()} look like duplicates of each other.")
for rows in groups[:MAX_GROUPS]:
    survivor, survivor_id = rows["survivor"].iloc[0], int(rows["survivor_id"].iloc[0])  # widget keys: stable
    with st.container(border=True):
        st.markdown(f"**{inert(survivor)}** (kept) ← {' · '.join(inert(n) for n in rows['name'])}")
        chrome.table(people_review.group_table(rows), f"merge_{kind}_{survivor_id}")
        if rows["check"].any():
            st.caption("Rows marked “check” rest on weaker evidence (a spelling one letter apart, a name inside "
                       "another): they are not ticked until you choose them.")
        names = dict(zip(rows["id"].astype(int), rows["name"]))
        picked = st.multiselect(f"Merge into {inert(survivor)}", list(names), format_func=names.get,
                                default=[int(i) for i, c in zip(rows["id"], rows["check"]) if not c],
                                key=f"pick_{kind}_{survivor_id}")
        if st.button("Confirm merge", key=f"confirm_{kind}_{survivor_id}", type="primary", disabled=not picked):
            merge = merge_people if kind == "person" else merge_teams
            result = chrome.attempt(merge, engine, survivor_id, picked, viewer,
                                    dict(zip(rows["id"].astype(int), rows["evidence"])))
            if result:
                st.session_state["people_merged"] = result.summary
                st.rerun()
if len(groups) > MAX_GROUPS:
    st.caption(f"The first {MAX_GROUPS} of {len(groups)} groups; confirm these and the rest follow.")

if not data.ambiguous.empty:
    with st.expander(f"Not proposed: {len(data.ambiguous)} name(s) that could be more than one person"):
        chrome.table(people_review.ambiguous_table(data.ambiguous), f"ambiguous_{kind}")

st.subheader("Recent merges")
if data.recent.empty:
    st.caption("No merges yet.")
else:
    chrome.table(people_review.recent_table(data.recent), f"recent_{kind}_merges")
    st.caption("Each merge is one batch: undo it from Import history (kind 'edit') to put every row back.")
    chrome.link("history", "Open Import history")
