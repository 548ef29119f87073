"""The import-plan review, shared by the Import page and My work's re-import.

One sheet's controls (include, kind, header row), its mapping (column → field, status and RAG value
maps, ambiguous date orders, save as a profile), the plan a dry run found (counts, notes, updated
rows, rejected rows and warnings) and the fields an upload would overwrite after an in-app edit.
Widget keys carry the file's id, so two files (or two re-imports) never share a choice.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pandas as pd
import streamlit as st

from core.importing import review as core_review
from core.importing.learning import forget_mapping_profile, save_mapping_profile
from core.importing.grid import Table
from core.importing.service import ImportResult, PreparedSheet
from core.text import inert
from ui import cache, chrome, signin

Resolutions = dict[tuple[str, str, str], str]  # (source, key, column) → "app" | "file"
PROBLEM_COLUMNS = {"Message": st.column_config.TextColumn("Message", width="large")}  # the sentence that explains


def sheet_controls(ps: PreparedSheet, fid: str) -> tuple[bool, str, int]:
    """Include / kind / header row for one sheet, with a preview to locate the header."""
    name = ps.table.sheet or "(CSV)"
    kinds = core_review.kind_choices()
    c1, c2, c3 = st.columns([1, 2, 1])
    include = c1.checkbox("Import this sheet", value=True, key=f"inc:{fid}:{name}")
    kind = c2.selectbox("Kind", list(kinds), index=list(kinds).index(ps.mapping.kind), format_func=kinds.get,
                        key=f"kind:{fid}:{name}")
    header = c3.number_input("Header row", min_value=1, value=ps.table.header_row, key=f"hdr:{fid}:{name}")
    if st.toggle("Show the first rows", key=f"raw:{fid}:{name}"):  # inline, full width: a popover showed column A
        st.dataframe(first_rows(ps.table), width="stretch", placeholder="")
    return include, kind, int(header)


def first_rows(table: Table) -> pd.DataFrame:
    """The sheet's first rows, every column, headed as the file heads them (the header row's cell, else the
    column letter), rows numbered as Excel numbers them: letters alone read as a grid, not as the user's file."""
    grid = core_review.raw_preview(table)
    row = table.header_row if table.header_row in grid.index else None
    cells = [str(v).splitlines()[0].strip() if row is not None and str(v).strip() else "" for v in
             (grid.loc[row] if row is not None else [""] * grid.shape[1])]
    labels: list[str] = []
    for letter, cell in zip(grid.columns, cells):
        label = cell or letter
        labels.append(label if label not in labels else f"{label} ({letter})")
    return grid.set_axis(labels, axis=1)


def edit_mapping(ps: PreparedSheet, fid: str) -> PreparedSheet:
    """Column → field table, value maps, date orders, save as profile."""
    mapping, table, name = ps.mapping, ps.table, ps.table.sheet or "(CSV)"
    if mapping.profile_name:
        st.success(f"Recognised: {inert(mapping.profile_name)}")
        forget = mapping.options.get("learned") and st.button("Forget this learned mapping", key=f"forget:{fid}:{name}")
        if forget and chrome.attempt(forget_mapping_profile, cache.engine(), mapping.profile_name, signin.viewer()):
            st.info("Forgotten: upload the file again to see the mapping inferred afresh.")
    pins_key = f"pins:{fid}:{name}:{mapping.kind}"  # the user's own column choices; the rest is re-scored
    mapping = core_review.rescored(mapping, table, ps.columns, st.session_state.get(pins_key, {}))
    options = [core_review.IGNORE, *core_review.field_labels(mapping.kind).values()]
    rows = st.data_editor(core_review.mapping_rows(mapping, table), hide_index=True, width="stretch",
                          disabled=["Column", "Sample values", "Confidence", "What it holds", "Why"],
                          key=f"map:{fid}:{name}:{mapping.kind}",
                          column_config={"Field": st.column_config.SelectboxColumn("Field", options=options,
                                                                                   required=True),
                                         "Confidence": st.column_config.ProgressColumn("Confidence", min_value=0,
                                                                                       max_value=100, format="%d%%")})
    pins = core_review.pins_from_rows(mapping, table, rows, st.session_state.get(pins_key, {}))
    if pins != st.session_state.get(pins_key, {}):
        st.session_state[pins_key] = pins
        st.rerun()
    for field, choices in (("status", core_review.STATUS_CHOICES), ("reported_rag", core_review.RAG_CHOICES)):
        values = core_review.value_map_rows(mapping, table, field)
        if values.empty:
            continue
        st.markdown(f"**{'Status' if field == 'status' else 'RAG'} values** (raw → normalised)")
        edited = st.data_editor(values, hide_index=True, disabled=["Raw value", "Rows", "Unmapped", "Suggested"],
                                key=f"vm:{fid}:{name}:{field}", column_config={  # "Unmapped" was the first guess:
                                    "Unmapped": None,  # a blank "Maps to" and the banner below say it as it is now
                                    "Maps to": st.column_config.SelectboxColumn(options=["", *choices])})
        still = edited.loc[edited["Maps to"].fillna("").eq(""), "Raw value"]
        if len(still):  # said after the edit, so a value just mapped is no longer called unmapped
            st.warning("Unmapped: " + inert(", ".join(still)) + ". Choose what they mean (see Suggested), or leave "
                       "them blank to import them with no normalised value.")
        mapping = core_review.mapping_with_value_map(mapping, field, edited)
    checked = replace(ps, mapping=mapping)
    for column in core_review.ambiguous_date_columns(checked.validated):
        order = st.radio(f"Dates in '{column.splitlines()[0]}' read both ways. They are…", ["dmy", "mdy"],
                         format_func={"dmy": "day first (31/12)", "mdy": "month first (12/31)"}.get, index=None,
                         key=f"date:{fid}:{name}:{column}", horizontal=True)
        if order:
            mapping = core_review.with_date_order(mapping, column, order)
    with st.popover("Save this mapping as a profile"):
        profile = st.text_input("Profile name", key=f"pname:{fid}:{name}")
        if st.button("Save profile", key=f"psave:{fid}:{name}", disabled=not profile):
            values = core_review.profile_values(profile, mapping, table.headers)
            if chrome.attempt(save_mapping_profile, cache.engine(), values, signin.viewer()):
                st.success(f"Saved. Files with these columns will be recognised as '{inert(profile)}'.")
    return replace(ps, mapping=mapping)


def choices_key(sheets: list[PreparedSheet]) -> str:
    """What a plan was previewed with (each sheet's header row and mapping, value maps included): a plan shown
    after the user changed any of it would name values they have since mapped, and commit what they undid."""
    decided = [[ps.table.sheet, ps.table.header_row, ps.mapping.to_json()] for ps in sheets]
    return hashlib.sha256(json.dumps(decided, sort_keys=True, default=str).encode()).hexdigest()


def show_plan(result: ImportResult, file_name: str, name: str | None = None, notes: tuple[str, ...] = ()) -> None:
    """What a dry run found; ``name`` names the tables' CSV downloads (the file's name by default), ``notes``
    are the caller's own lines under the engine's."""
    name = name or file_name
    for col, (label, value) in zip(st.columns(4), core_review.plan_counts(result).items()):
        col.metric(label, f"{value:,}")
    for note in [*result.notes, *notes]:
        st.caption(inert(note))
    for s in result.sheets:
        for column, how in s.date_formats.items():
            st.caption(f"{inert(s.sheet or 'CSV')} · dates in '{inert(column.splitlines()[0])}': {how}")
    changes = core_review.changes_table(result)
    if not changes.empty:
        st.markdown("**Updated rows** (before → after)")
        chrome.table(changes, f"{name}_changes")
    problems = core_review.issues_table(result, file_name)
    if not problems.empty:
        st.markdown("**Rejected rows and warnings**")
        chrome.table(problems, f"{name}_problems", column_config=PROBLEM_COLUMNS)
    rejected = [r for s in result.sheets for r in s.rejected_rows]
    if rejected:
        st.download_button("Download rejected rows (xlsx)", lambda: core_review.rejected_workbook(rejected),
                           file_name=f"rejected_{file_name.rsplit('.', 1)[0]}.xlsx", key=f"dl:{file_name}",
                           on_click="ignore")


def pick_conflicts(plan: ImportResult, fid: str) -> Resolutions | None:
    """Fields edited in the app that the file would overwrite: the user keeps one value each (None until all chosen)."""
    table = core_review.conflicts_table(plan)
    if table.empty:
        return {}
    st.warning(f"{len(table)} field(s) were edited in the app since this file's rows were last imported or "
               "exported, and the file has other values. Choose which to keep; nothing is overwritten silently.")
    keep = st.column_config.SelectboxColumn("Keep", options=list(core_review.KEEP_CHOICES.values()), required=True)
    edited = st.data_editor(table, hide_index=True, width="stretch", key=f"conflicts:{fid}", column_config={"Keep": keep},
                            disabled=[c for c in table.columns if c != "Keep"])
    return core_review.resolutions_from(plan, edited)
