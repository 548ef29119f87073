"""Strategy: objectives, KPIs, owners, incentives and expected effects, editable in place."""
import streamlit as st

from core.store.models import RAG_VALUES
from core.strategy.editing import (
    editor_choices,
    objective_id,
    objective_tree,
    save_edits,
    set_field,
    strategy_flags,
    unowned_objectives,
)
from core.text import inert
from ui import cache, chrome, signin

key = chrome.page_setup("Strategy")
tables = cache.strategy_tables(key)
people = cache.people(key)
objectives, kpis = tables["objectives"], tables["kpis"]
if objectives.empty and kpis.empty:
    chrome.stop_empty("No objectives or KPIs yet: import a strategy workbook (objectives, KPIs, incentives) first, "
                      "or add them in the tables below once one exists.")

choices = editor_choices(tables, people)
names, codes, kpi_codes, teams = choices.people, choices.objectives, choices.kpis, choices.teams


def pick(label: str, options: list[str], required: bool | None = None) -> st.column_config.SelectboxColumn:
    return st.column_config.SelectboxColumn(label, options=options, required=required)


COLUMNS = {
    "objectives": {"id": None, "tree": st.column_config.TextColumn("Tree", disabled=True, width="medium"),
                   "code": "Code", "title": "Title", "description": "Description", "parent": pick("Parent", codes),
                   "owner": pick("Accountable owner", names), "period": "Period",
                   "weight": st.column_config.NumberColumn("Weight", min_value=0.0, format="%.2f"),
                   "reported_rag": pick("Reported RAG", list(RAG_VALUES))},
    "kpis": {"id": None, "code": "Code", "name": "KPI", "unit": "Unit",
             "direction": pick("Better when", ["higher", "lower"]), "baseline": "Baseline", "target": "Target",
             "tolerance": st.column_config.NumberColumn("Tolerance", min_value=0.0), "owner": pick("Owner", names),
             "objective": pick("Measures objective", codes)},
    "incentives": {"id": None, "team": pick("Team", teams, required=True),
                   "kpi": pick("Measured on KPI", kpi_codes, required=True),
                   "weight": st.column_config.NumberColumn("Weight", min_value=0.0, format="%.2f")},
    "effects": {"id": None, "objective": pick("Objective / initiative", codes, required=True),
                "kpi": pick("KPI", kpi_codes, required=True), "effect": pick("Moves the KPI", ["up", "down"],
                                                                             required=True), "note": "Why"},
}

flags = strategy_flags(objectives, kpis, tables["effects"])
if flags.empty:
    st.success("Every objective has exactly one accountable owner; every KPI has an owner and serves an objective.")
else:
    st.warning(f"{len(flags)} accountability gap(s): work cannot be steered where nobody owns the outcome.")
    chrome.table(flags, "accountability_flags")
    unowned = unowned_objectives(flags)
    if unowned:
        with st.form("fix_owner"):
            st.markdown("**Name the accountable owner**")
            left, right = st.columns(2)
            code = left.selectbox("Objective", unowned, key="fix_objective")
            owner = right.selectbox("Accountable owner", names, index=None, key="fix_owner_name")
            if st.form_submit_button("Save owner", type="primary"):
                try:
                    set_field(cache.engine(), "objectives", objective_id(objectives, code), "owner", owner,
                              signin.viewer())
                    st.session_state["strategy_saved"] = inert(f"{code}: accountable owner is now {owner}.")
                    st.rerun()
                except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                    chrome.show_error(exc)

if msg := st.session_state.pop("strategy_saved", None):
    st.success(msg)

st.caption("Edit cells in place, add rows at the bottom, select rows and press Delete to remove them; "
           "**Save** writes the table in one transaction, audited and undoable from the Import history.")
tabs = st.tabs(["Objectives", "KPIs", "Incentives", "Expected effects"])
for tab, entity in zip(tabs, ["objectives", "kpis", "incentives", "effects"]):
    with tab:
        original = objective_tree(objectives) if entity == "objectives" else tables[entity]
        shown = [c for c in COLUMNS[entity] if c in original]
        edited = st.data_editor(original[shown], column_config=COLUMNS[entity], hide_index=True, width="stretch",
                                num_rows="dynamic", key=f"edit_{entity}_{key[1]}", placeholder="")
        if st.button("Save changes", key=f"save_{entity}", type="primary"):
            try:
                result = save_edits(cache.engine(), entity, original, edited.drop(columns=["tree"], errors="ignore"),
                                    signin.viewer())
                st.session_state["strategy_saved"] = (
                    f"Saved: {result.inserted} added, {result.updated} changed, {result.deleted} deleted."
                    if result.changed else "Nothing had changed.")
                st.rerun()
            except Exception as exc:  # noqa: BLE001
                chrome.show_error(exc)
        if entity == "incentives":
            st.caption("A team is measured (paid, ranked) on a KPI. The KPI conflicts view sets these against the "
                       "expected effects.")
        if entity == "effects":
            st.caption("An objective or initiative is expected to move a KPI's raw value up or down (the change "
                       "process adds documentation steps, so time per ticket goes up).")
