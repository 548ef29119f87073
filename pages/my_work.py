"""My work: a team's items kept here instead of in a shadow spreadsheet, with quick updates and a round trip to Excel."""

import pandas as pd
import streamlit as st

from core.store.models import RAG_VALUES, WORK_STATUSES
from core.text import inert
from core.work import desk
from core.work.excel import export_items, reimport
from core.work.items import QUICK, quick_update, save_items, set_stale_days
from core.store.models import STATUS_LABELS
from core.work.rows import VIEWS
from ui import cache, chrome, review, signin, work

key = chrome.page_setup("My work")
engine = cache.engine()
people, teams = cache.people(key), work.teams(key)
if teams.empty:
    chrome.stop_empty("No teams yet: import a tracker with a team column, or a people sheet with teams.")

names = people["name"].dropna().tolist()
viewer = signin.viewer()  # a manager works on their own team only; an executive reads
can_write = desk.can_change(viewer)
with st.sidebar:  # without accounts "me" is chosen here and named in the audit trail
    if st.session_state.get("me") not in names:  # the page's own memory, not the widget's: a rerun keeps "Me"
        st.session_state["me"] = desk.remembered_me(names, st.session_state.get("my_work_me"),
                                                    work.account_person(key, viewer))
    me = st.selectbox("Me", names, placeholder="Choose yourself", key="me")
    st.session_state["my_work_me"] = me
    if me:
        st.session_state["acting_user"] = me
    team_names = desk.team_choices(teams, viewer)
    mine = people.loc[people["name"] == me, "team"].dropna().tolist()
    chosen = st.selectbox("Team", team_names, index=desk.first_team(team_names, mine,
                                                                    st.session_state.get("my_work_team")),
                          key="my_team")
    st.session_state["my_work_team"] = chosen
team = desk.team(teams, chosen)
actor = signin.actor()
items = work.items(key, team.id)
now = pd.Timestamp.now(tz="UTC").tz_localize(None)
sources = desk.sources(items, team.name)
st.caption(f"{inert(team.name)}: {len(items):,} item(s) in {inert(', '.join(sources))} · " + (
    f"changes are saved as {inert(signin.acting_user())} (audited, undoable from the Import history)" if can_write else
    f"your role ({viewer.role}) can read this page but not change anything"))
if msg := st.session_state.pop("my_work_saved", None):
    st.success(inert(msg))


def done(message: str) -> None:
    st.session_state["my_work_saved"] = message
    st.rerun()


pick = st.column_config.SelectboxColumn
# Keyed and tracked: a click in a tab (Prepare the xlsx, Save threshold) reruns the page on the same tab, not on Items
grid_tab, quick_tab, stale_tab, excel_tab = st.tabs(["Items", "Quick update", "Stale", "Excel round trip"],
                                                    key="my_work_tab", on_change="rerun")
with grid_tab:
    view = st.radio("Show", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="grid_view")
    original = desk.grid(items, view, me, now, team.stale_days)
    codes = cache.objectives(key)["code"].tolist()
    edited = st.data_editor(original, hide_index=True, width="stretch", num_rows="add", key=f"grid:{team.id}:{view}:{key[1]}", placeholder="",
                            disabled=["external_key", "updated_at", "source"], column_config={
                                "id": None, "external_key": "Key", "title": st.column_config.TextColumn("Title", width="medium"),
                                "owner": pick("Owner", options=names), "status": pick(
                                    "Status", options=list(WORK_STATUSES), format_func=STATUS_LABELS.get, default="todo",
                                    required=True),
                                "reported_rag": pick("RAG", options=list(RAG_VALUES)), "objective": pick("Objective", options=codes),
                                "due_at": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
                                "effort": st.column_config.NumberColumn("Effort", min_value=0.0),
                                "depends_on": "Depends on", "source": "Tracker",
                                "updated_at": st.column_config.DatetimeColumn("Last updated", format="YYYY-MM-DD HH:mm")})
    target = st.selectbox("New rows go to", sources, key="new_rows_source") if len(sources) > 1 else sources[0]
    st.caption("Add rows at the bottom (a key like the tracker's own is given); close a row by setting it to Done.")
    if st.button("Save changes", type="primary", key="save_grid", disabled=not can_write):
        try:
            done(save_items(engine, team.id, original, edited, actor, source=target).sentence())
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            chrome.show_error(exc)

with quick_tab:
    open_mine = desk.open_items_of(items, me)
    if not me:
        st.info("Choose yourself in the sidebar to see your open items.")
    elif open_mine.empty:
        st.info(f"{inert(me)} has no open items in {inert(team.name)}.")
    else:
        left, right = st.columns(2)
        note = left.text_input("Note (optional, saved with your next click)", key="quick_note")
        blocker = right.text_input("Blocked by (a person, a team or an item key)", key="quick_blocked_by")
        notes = work.latest_notes(key, tuple(open_mine["id"].astype(int)))
        for it in open_mine.itertuples():
            c = st.columns([5, 1, 1, 1, 1])
            c[0].markdown(f"**{inert(it.external_key)}** {inert(it.title)} · "
                          f"{STATUS_LABELS.get(it.status, inert(it.status) or '?')}"
                          f"{' · ' + inert(it.reported_rag) if isinstance(it.reported_rag, str) else ''}"
                          + (f"  \n:gray[{inert(notes[it.id])}]" if it.id in notes else ""))
            for col, (action, label) in zip(c[1:], QUICK.items()):
                if col.button(label, key=f"q:{action}:{it.id}", disabled=not can_write):
                    try:
                        quick_update(engine, team.id, int(it.id), action, actor, note=note, blocked_by=blocker)
                        done(f"{it.external_key}: {label.lower()}, last updated now.")
                    except Exception as exc:  # noqa: BLE001
                        chrome.show_error(exc)

with stale_tab:
    days = st.number_input(f"Stale after (days) for {inert(team.name)}", 1, 365, team.stale_days, key="stale_days")
    if days != team.stale_days and st.button("Save threshold", key="save_stale", disabled=not can_write):
        try:
            set_stale_days(engine, team.id, int(days), actor)
            done(f"{team.name}: items are stale after {int(days)} days without an update.")
        except Exception as exc:  # noqa: BLE001
            chrome.show_error(exc)
    stale = desk.stale_table(items, now, int(days))
    st.markdown(f"**Yours** ({inert(me) or 'choose yourself'}): {int(stale['owner'].eq(me).sum())} stale item(s)")
    chrome.table(stale[stale["owner"].eq(me)], "my_stale_items")
    st.markdown(f"**The team's** (for its manager): {len(stale)} stale item(s) by owner")
    chrome.table(stale.sort_values(["owner", "days_since_update"], ascending=[True, False]), "team_stale_items")

with excel_tab:
    source = st.selectbox("Tracker", sources, key="excel_source")
    if st.button("Prepare the xlsx", key="export", disabled=not can_write):  # an export is audited
        try:
            st.session_state["my_work_export"] = export_items(engine, team.id, source, actor)
        except Exception as exc:  # noqa: BLE001
            chrome.show_error(exc)
    ex = st.session_state.get("my_work_export")
    if ex is not None and ex.layout.source == source:
        st.download_button(f"Download {inert(ex.file_name)} ({ex.rows} rows)", ex.data, file_name=ex.file_name,
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        st.caption(f"Columns as the team's file has them: {inert(', '.join(ex.layout.headers))}.")
    upload = st.file_uploader("Re-import the edited file", type=["xlsx", "xlsm", "csv"], key="reimport_file")
    if upload is not None:
        data = upload.getvalue()
        fid = upload.file_id
        if st.button("Preview the re-import", key="reimport_preview"):
            try:
                st.session_state["my_work_plan"] = (fid, reimport(engine, data, upload.name, team.id, source, actor,
                                                                  dry_run=True))
            except Exception as exc:  # noqa: BLE001
                chrome.show_error(exc)
        plan = st.session_state.get("my_work_plan")
        if plan is not None and plan[0] == fid:
            preview = plan[1]
            review.show_plan(preview.result, upload.name, name="reimport", notes=tuple(
                [f"New rows without a key get {', '.join(preview.filled_keys)}."] if preview.filled_keys else []))
            resolutions = review.pick_conflicts(preview.result, fid)
            close = False
            if len(missing := preview.missing):
                st.warning(f"{len(missing)} of the team's row(s) are no longer in the file. They are never deleted.")
                chrome.table(missing.drop(columns=["id"]), "rows_missing_from_file")
                close = st.radio("Those rows", ["leave", "close"], key="missing_choice", horizontal=True,
                                 format_func={"leave": "Leave them", "close": "Close them (set to done)"}.get) == "close"
            if st.button("Import the file", type="primary", key="reimport_commit",
                         disabled=resolutions is None or not can_write):
                try:
                    r = reimport(engine, data, upload.name, team.id, source, actor, dry_run=False,
                                 resolutions=resolutions, close_missing=close)
                    st.session_state.pop("my_work_plan", None)
                    done(f"Imported {upload.name}: {r.result.inserted} new, {r.result.updated} updated, "
                         f"{r.result.unchanged} unchanged" + (f", {r.closed.updated} closed" if r.closed else "") + ".")
                except Exception as exc:  # noqa: BLE001
                    chrome.show_error(exc)
