"""Import: upload spreadsheets, check sheets and mapping, preview the plan, commit."""
import hashlib
from dataclasses import replace

import streamlit as st

from core.importing import review
from core.importing.service import (
    ImportOptions,
    PreparedFile,
    PreparedSheet,
    execute,
    forget_mapping_profile,
    save_mapping_profile,
)
from core.text import inert
from ui import cache, chrome, signin

key = chrome.page_setup("Import", need="write")
engine = cache.engine()
st.caption("Upload the spreadsheets you already keep. Nothing is written until you commit, and every import can "
           "be undone from the import history.")
uploads = st.file_uploader("Spreadsheets (xlsx or csv)", type=["xlsx", "xlsm", "xls", "csv", "tsv", "txt"],
                           accept_multiple_files=True)
if not uploads:
    st.info("Choose one or more files. Sheets, header rows, columns and values are recognised automatically; you "
            "can correct any of it before anything is written.")
    chrome.link("history", "Import history")
    st.stop()


def sheet_controls(ps: PreparedSheet, fid: str) -> tuple[bool, str, int]:
    """Include / kind / header row for one sheet, with a preview to locate the header."""
    name = ps.table.sheet or "(CSV)"
    kinds = review.kind_choices()
    c1, c2, c3 = st.columns([1, 2, 1])
    include = c1.checkbox("Import this sheet", value=True, key=f"inc:{fid}:{name}")
    kind = c2.selectbox("Kind", list(kinds), index=list(kinds).index(ps.mapping.kind), format_func=kinds.get,
                        key=f"kind:{fid}:{name}")
    header = c3.number_input("Header row", min_value=1, value=ps.table.header_row, key=f"hdr:{fid}:{name}")
    with st.popover("Show the first rows"):
        st.dataframe(review.raw_preview(ps.table), width="stretch")
    return include, kind, int(header)


def edit_mapping(ps: PreparedSheet, fid: str) -> PreparedSheet:
    """Column → field table, value maps, date orders, save as profile."""
    mapping, table, name = ps.mapping, ps.table, ps.table.sheet or "(CSV)"
    if mapping.profile_name:
        st.success(f"Recognised: {inert(mapping.profile_name)}")
        if mapping.options.get("learned") and st.button("Forget this learned mapping", key=f"forget:{fid}:{name}"):
            if chrome.attempt(forget_mapping_profile, engine, mapping.profile_name, signin.viewer()):
                st.info("Forgotten: upload the file again to see the mapping inferred afresh.")
    pins_key = f"pins:{fid}:{name}:{mapping.kind}"  # the user's own column choices; the rest is re-scored
    mapping = review.rescored(mapping, table, ps.columns, st.session_state.get(pins_key, {}))
    options = [review.IGNORE, *review.field_labels(mapping.kind).values()]
    rows = st.data_editor(review.mapping_rows(mapping, table), hide_index=True, width="stretch",
                          disabled=["Column", "Sample values", "Confidence", "What it holds", "Why"],
                          key=f"map:{fid}:{name}:{mapping.kind}",
                          column_config={"Field": st.column_config.SelectboxColumn("Field", options=options,
                                                                                   required=True),
                                         "Confidence": st.column_config.ProgressColumn("Confidence", min_value=0,
                                                                                       max_value=100, format="%d%%")})
    pins = review.pins_from_rows(mapping, table, rows, st.session_state.get(pins_key, {}))
    if pins != st.session_state.get(pins_key, {}):
        st.session_state[pins_key] = pins
        st.rerun()
    for field, choices in (("status", review.STATUS_CHOICES), ("reported_rag", review.RAG_CHOICES)):
        values = review.value_map_rows(mapping, table, field)
        if values.empty:
            continue
        st.markdown(f"**{'Status' if field == 'status' else 'RAG'} values** (raw → normalised)")
        edited = st.data_editor(values, hide_index=True, disabled=["Raw value", "Rows", "Unmapped", "Suggested"],
                                key=f"vm:{fid}:{name}:{field}", column_config={"Maps to": st.column_config.
                                                                             SelectboxColumn(options=["", *choices])})
        still = edited.loc[edited["Maps to"].fillna("").eq(""), "Raw value"]
        if len(still):  # said after the edit, so a value just mapped is no longer called unmapped
            st.warning("Unmapped: " + inert(", ".join(still)) + ". Choose what they mean (see Suggested), or leave "
                       "them blank to import them with no normalised value.")
        mapping = review.mapping_with_value_map(mapping, field, edited)
    checked = replace(ps, mapping=mapping)
    for column in review.ambiguous_date_columns(checked.validated):
        order = st.radio(f"Dates in '{column.splitlines()[0]}' read both ways. They are…", ["dmy", "mdy"],
                         format_func={"dmy": "day first (31/12)", "mdy": "month first (12/31)"}.get, index=None,
                         key=f"date:{fid}:{name}:{column}", horizontal=True)
        if order:
            mapping = review.with_date_order(mapping, column, order)
    with st.popover("Save this mapping as a profile"):
        profile = st.text_input("Profile name", key=f"pname:{fid}:{name}")
        if st.button("Save profile", key=f"psave:{fid}:{name}", disabled=not profile):
            if chrome.attempt(save_mapping_profile, engine, review.profile_values(profile, mapping, table.headers),
                              signin.viewer()):
                st.success(f"Saved. Files with these columns will be recognised as '{inert(profile)}'.")
    return replace(ps, mapping=mapping)


def show_plan(result, file_name: str) -> None:
    for col, (label, value) in zip(st.columns(4), review.plan_counts(result).items()):
        col.metric(label, f"{value:,}")
    for note in result.notes:
        st.caption(inert(note))
    for s in result.sheets:
        for column, how in s.date_formats.items():
            st.caption(f"{inert(s.sheet or 'CSV')} · dates in '{inert(column.splitlines()[0])}': {how}")
    changes = review.changes_table(result)
    if not changes.empty:
        st.markdown("**Updated rows** (before → after)")
        chrome.table(changes, f"{file_name}_changes")
    problems = review.issues_table(result, file_name)
    if not problems.empty:
        st.markdown("**Rejected rows and warnings**")
        chrome.table(problems, f"{file_name}_problems")
    rejected = [r for s in result.sheets for r in s.rejected_rows]
    if rejected:
        st.download_button("Download rejected rows (xlsx)", lambda: review.rejected_workbook(rejected),
                           file_name=f"rejected_{file_name.rsplit('.', 1)[0]}.xlsx", key=f"dl:{file_name}")


def pick_conflicts(plan, fid: str) -> dict | None:
    """Fields edited in the app that the file would overwrite: the user keeps one value each (None until all chosen)."""
    table = review.conflicts_table(plan)
    if table.empty:
        return {}
    st.warning(f"{len(table)} field(s) were edited in the app since this file's rows were last imported or "
               "exported, and the file has other values. Choose which to keep; nothing is overwritten silently.")
    keep = st.column_config.SelectboxColumn("Keep", options=list(review.KEEP_CHOICES.values()), required=True)
    edited = st.data_editor(table, hide_index=True, width="stretch", key=f"conflicts:{fid}", column_config={"Keep": keep},
                            disabled=[c for c in table.columns if c != "Keep"])
    return review.resolutions_from(plan, edited)


def render_upload(upload) -> None:
    """One uploaded file: sheets, mapping, preview, commit."""
    data = upload.getvalue()
    fid = hashlib.sha256(data).hexdigest()
    st.header(inert(upload.name))
    try:
        base = cache.prepared_file(fid, data, upload.name, tuple(st.session_state.get(f"hdrs:{fid}", {}).items()),
                                    tuple(st.session_state.get(f"kinds:{fid}", {}).items()), key,
                                    tuple(sorted(st.session_state.get(f"incl:{fid}", ()))))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        chrome.show_error(exc)
        return
    chrome.table(review.sheet_overview(base.sheets), f"{upload.name}_sheets")
    for note in base.read.notes + base.skipped:  # sheets set aside, rows dropped as totals, records unreadable
        st.caption(inert(note))
    aside = [t.sheet for t in base.read.set_aside if t.sheet] + list(st.session_state.get(f"incl:{fid}", ()))
    if aside:
        chosen_aside = st.multiselect("Import set-aside sheets too", sorted(set(aside)), key=f"aside:{fid}",
                                      default=sorted(st.session_state.get(f"incl:{fid}", ())))
        if set(chosen_aside) != set(st.session_state.get(f"incl:{fid}", ())):
            st.session_state[f"incl:{fid}"] = tuple(chosen_aside)
            st.rerun()
    chosen, headers, kinds = [], {}, {}
    for ps in base.sheets:
        with st.expander(f"Sheet {inert(ps.table.sheet or '(CSV)')}", expanded=len(base.sheets) == 1):
            include, kinds[ps.table.sheet], headers[ps.table.sheet] = sheet_controls(ps, fid)
            if include:
                chosen.append(edit_mapping(ps, fid))
    if headers != {ps.table.sheet: ps.table.header_row for ps in base.sheets} or kinds != {
            ps.table.sheet: ps.mapping.kind for ps in base.sheets}:
        st.session_state[f"hdrs:{fid}"], st.session_state[f"kinds:{fid}"] = headers, kinds
        st.rerun()
    final = PreparedFile(base.read, chosen)
    preview, commit = st.columns(2)
    if preview.button("Preview changes", key=f"prev:{fid}", type="secondary", disabled=not chosen):
        try:
            st.session_state[f"plan:{fid}"] = execute(engine, final, dry_run=True)
        except Exception as exc:  # noqa: BLE001
            st.session_state.pop(f"plan:{fid}", None)
            chrome.show_error(exc)
    plan = st.session_state.get(f"plan:{fid}")
    if plan is not None:
        show_plan(plan, upload.name)
    resolutions = pick_conflicts(plan, fid) if plan is not None else {}
    if commit.button("Commit import", key=f"commit:{fid}", type="primary", disabled=plan is None or resolutions is None):
        done = None
        with st.status(f"Importing {inert(upload.name)}…", expanded=True) as status:
            try:
                done = execute(engine, final, ImportOptions(resolutions=resolutions or {}), user=signin.viewer())
            except Exception as exc:  # noqa: BLE001
                status.update(label="Nothing was imported", state="error")
                chrome.show_error(exc)
            else:
                status.update(label=f"Imported {inert(upload.name)}", state="complete", expanded=False)
        if done is not None:
            st.session_state.pop(f"plan:{fid}", None)
            st.success(f"Imported {inert(upload.name)}: {done.inserted:,} new, {done.updated:,} updated, "
                       f"{done.unchanged:,} unchanged, {done.rejected:,} rejected (batch "
                       f"{', '.join(map(str, done.batch_ids))}).")
            chrome.link("history", "See it in the import history")


for upload in uploads:
    try:
        render_upload(upload)
    except Exception as exc:  # noqa: BLE001 - no traceback ever reaches the page
        chrome.show_error(exc)
