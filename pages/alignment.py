"""Alignment: what serves which objective, what serves none, and the tools to link work quickly."""
import streamlit as st

from core.alignment import worklist
from core.alignment.analytics import DRILL, MATCH_TYPES, hidden_items_of, items_under, size_measures
from core.alignment.rules import (Link, add_rule, apply_rules, delete_rule, link_items, preview_counts, rule_fields,
                                  set_rule_active)
from core.reporting import charts
from core.reporting.charts import selected_values
from core.reporting.views import SUGGESTIONS_SHOWN
from core.text import inert
from ui import cache, chrome, signin

key = chrome.page_setup("Alignment")
choices, objectives = cache.alignment_choices(key), cache.objectives(key)  # stored: no 120k items read for them
if not choices["items"]:
    chrome.stop_empty("No work items yet: import a tracker or a ticket export first.")
if objectives.empty:
    chrome.stop_no_strategy(choices["items"])
engine, user = cache.engine(), signin.viewer()
codes = objectives["code"].tolist()
label = worklist.objective_labels(objectives)

with st.sidebar:
    teams = st.multiselect("Team", choices["teams"])
    sources = st.multiselect("Source", choices["sources"])
    period = chrome.period_input("Period (work alive in it)", choices["span"])
report = cache.alignment_report(key, tuple(teams), tuple(sources), period)
scoped, head = report["items"], report["headline"]
if msg := st.session_state.pop("alignment_saved", None):
    st.success(msg)


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def done(message: str) -> None:
    st.session_state["alignment_saved"] = message
    st.rerun()


# Tracked tabs run only the open one; the view reads stored views, the others every item the viewer may read
view, rules_tab, suggest_tab, bulk_tab = st.tabs(["Alignment view", "Rules", "Suggestions", "Unlinked work"],
                                                 key="alignment_tab", on_change="rerun")
if not view.open:
    frames = cache.alignment_frames(key)
    items = frames["items"]
if view.open:
    with view:
        a, b, c = st.columns(3)
        a.metric("Open items linked to an objective", pct(head["open_linked_share"]),
                 help=f"{head['open_items']:,} open items in scope")
        b.metric("Open effort linked", pct(head["open_effort_linked_share"]),
                 help="Share of the effort of open items (when the trackers give effort)")
        c.metric("Hidden work", pct(head["hidden_ratio"]), help="Items in scope that serve no objective")
        c.caption(f"{head['hidden_items']:,} of {head['items']:,} items serve no objective")
        by = st.radio("Hidden work by", ["team", "owner"], horizontal=True)
        st.plotly_chart(charts.hidden_work_chart(report[f"by_{by}"], by), key="hidden", on_select="rerun",
                        selection_mode="points", width="stretch")
        picked = selected_values(st.session_state.get("hidden"))
        if picked:
            rows = hidden_items_of(scoped, by, picked)
            st.markdown(f"**{len(rows):,} hidden item(s) of {inert(', '.join(map(str, picked)))}**")
            chrome.table(rows[DRILL], "hidden_work_drill")
        else:
            st.caption("Click a bar to see the items behind it, with the file and row they came from.")
        size = st.radio("Size by", size_measures(report["per_objective"]), horizontal=True)
        st.plotly_chart(charts.objective_treemap(report["per_objective"], size), key="tree", on_select="rerun",
                        selection_mode="points", width="stretch")
        path = [str(p) for p in selected_values(st.session_state.get("tree"))][:1]
        if path:
            rows = items_under(scoped, objectives, path[0])
            st.markdown(f"**{len(rows):,} item(s) serving {inert(path[0])}**")
            chrome.table(rows[DRILL], "objective_drill")
        else:
            st.caption("Click a box to see the items behind it.")
        left, right = st.columns(2)
        with left:
            st.markdown("**Objectives with no open work** (strategy not being executed)")
            chrome.table(report["no_open_work"], "objectives_without_open_work")
        with right:
            st.markdown("**Work all done, KPIs not green** (output delivered, outcome missing)")
            chrome.table(report["done_not_green"], "done_but_not_green")

if rules_tab.open:
    with rules_tab:
        counts = cache.rule_counts(key)
        if len(counts):
            chrome.table(counts[["id", "field", "match_type", "pattern", "source", "objective", "active", "matches",
                                 "unlinked", "linked_here", "created_by"]], "alignment_rules")
        if len(counts) and user.role == "admin":
            r1, r2, r3 = st.columns([2, 1, 1])
            rule_id = r1.selectbox("Rule", counts["id"].tolist(), format_func=lambda i: f"#{i}")
            if r2.button("Switch on/off"):
                active = bool(counts.loc[counts["id"] == rule_id, "active"].iloc[0])
                if chrome.attempt(set_rule_active, engine, int(rule_id), not active, user):
                    done(f"Rule #{rule_id} is now {'off' if active else 'on'}.")
            if r3.button("Delete rule"):
                if chrome.attempt(delete_rule, engine, int(rule_id), user):
                    done(f"Rule #{rule_id} deleted; the links it made stay.")
        if user.role != "admin":  # rules touch every team's work: the form (and its preview) is for admins
            st.caption("Only an admin can add, switch or apply alignment rules.")
        else:
            st.markdown("**New rule**: work items whose field matches → objective")
            f1, f2, f3 = st.columns(3)
            field = f1.selectbox("Field", rule_fields(choices["attributes"]), key="rule_field")
            match_type = f2.selectbox("Match", MATCH_TYPES, key="rule_match")
            pattern = f3.text_input("Value or pattern", key="rule_pattern", max_chars=500,
                                    help="A regex runs on RE2: linear time, no back-references or look-arounds.")
            g1, g2 = st.columns(2)
            rule_source = g1.selectbox("Only from source", chrome.options(items["source"]), index=None,
                                       key="rule_source", placeholder="any source")
            target = g2.selectbox("Objective", codes, format_func=label.get, index=None, key="rule_objective")
            if pattern:
                try:
                    caught, unlinked_caught = preview_counts(items, field, match_type, pattern, rule_source, user)
                    st.caption(f"Catches {caught:,} item(s), {unlinked_caught:,} of them unlinked.")
                except ValueError as exc:
                    st.error(f"Pattern: {inert(exc)}.")
                except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                    chrome.show_error(exc)
            if st.button("Add rule", disabled=not (pattern and target)):
                try:
                    new_id = add_rule(engine, field, match_type, pattern, target, user, source=rule_source)
                    done(f"Rule #{new_id} added. Apply the rules to link existing work; new imports use it "
                         "automatically.")
                except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                    chrome.show_error(exc)
            if st.button("Apply active rules to unlinked work", type="primary", disabled=frames["rules"].empty):
                result = chrome.attempt(apply_rules, engine, user)
                if result:
                    done(f"{result['linked']:,} item(s) linked by {result['rules']} active rule(s)"
                         + (f" (batch #{result['batch_id']}, undoable from the Import history)." if result["batch_id"]
                            else "."))

if suggest_tab.open:
    with suggest_tab:
        st.caption("Text similarity (TF-IDF) between each unlinked item and each objective's title, description and "
                   "the work already linked to it. Scores run from 0 to 1; below 0.05 nothing is suggested.")
        sugg = cache.suggestions(key, tuple(sources), SUGGESTIONS_SHOWN)
        if sugg.empty:
            st.info("No suggestions: every item is linked, or no objective resembles the unlinked work.")
        else:
            top = worklist.top_suggestions(sugg, items)
            titles = top.set_index("item_id")["title"]
            chrome.table(top[["item_id", "title", "objective", "objective_title", "score"]], "suggestions")
            item_id = st.selectbox("Item", top["item_id"].tolist(), format_func=lambda i: f"#{i} {titles[i]}",
                                   key="suggest_item")
            scores = worklist.choices_for(sugg, item_id)
            choice = st.radio("Link it to", scores.index.tolist(), key="suggest_choice",
                              format_func=lambda c: inert(f"{label[c]} (score {scores[c]})"))
            if st.button("Link this item"):
                one = [Link(int(item_id), choice)]
                if chrome.attempt(link_items, engine, one, user, "Alignment: accepted suggestion"):
                    done(f"Item #{item_id} linked to {inert(choice)}.")
            floor = st.slider("Accept every top suggestion scoring at least", 0.05, 1.0, 0.2, 0.05)
            accepted = worklist.accepted_links(top, floor)
            if st.button(f"Accept {len(accepted):,} top suggestion(s)", disabled=not accepted):
                result = chrome.attempt(link_items, engine, accepted, user, "Alignment: accepted suggestions")
                if result:
                    done(f"{result['changed']:,} item(s) linked.")

if bulk_tab.open:
    with bulk_tab:
        unlinked = worklist.unlinked(items)
        for col, box in zip(worklist.BULK_FILTERS, st.columns(len(worklist.BULK_FILTERS))):
            unlinked = worklist.narrowed(unlinked, col, box.multiselect(col.title(), chrome.options(unlinked[col]),
                                                                        key=f"bulk_{col}"))
        st.markdown(f"**{len(unlinked):,} unlinked item(s)**"
                    + (f" (first {worklist.BULK_ROWS:,} shown)" if len(unlinked) > worklist.BULK_ROWS else ""))
        grid = worklist.bulk_grid(unlinked)
        people = sorted(frames["people"]["name"].dropna())
        edited = st.data_editor(grid, hide_index=True, width="stretch", key=f"bulk_grid_{key[1]}", placeholder="",
                                disabled=["external_key", "title", "team", "source_file", "source_row"],
                                column_config={"id": None, "external_key": "Key", "title": "Title", "team": "Team",
                                               "source_file": "Source file", "source_row": "Row",
                                               "objective": st.column_config.SelectboxColumn(
                                    "Objective", options=codes), "owner": st.column_config.SelectboxColumn(
                                    "Owner", options=people)})
        changed = worklist.edited_links(grid, edited)
        if st.button(f"Save {len(changed):,} edited row(s)", disabled=not changed, type="primary"):
            try:
                result = link_items(engine, changed, user, "Alignment: bulk editor")
                done(f"{result['changed']:,} item(s) saved in one transaction.")
            except Exception as exc:  # noqa: BLE001
                chrome.show_error(exc)
        k1, k2 = st.columns([3, 1])
        bulk_target = k1.selectbox(f"Link all {len(unlinked):,} filtered items to", codes, format_func=label.get,
                                   index=None, key="bulk_objective")
        if k2.button("Link all", disabled=bulk_target is None or unlinked.empty):
            result = chrome.attempt(link_items, engine, worklist.links_to(unlinked, bulk_target), user,
                                    "Alignment: bulk link")
            if result:
                done(f"{result['changed']:,} item(s) linked to {inert(bulk_target)}.")
