"""Import: upload spreadsheets, check sheets and mapping, preview the plan, commit."""

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.importing import review as core_review
from core.importing.service import ImportOptions, PreparedFile, execute
from core.text import inert
from ui import cache, chrome, review, signin

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


def render_upload(upload: UploadedFile) -> None:
    """One uploaded file: sheets, mapping, preview, commit."""
    data = upload.getvalue()
    fid = upload.file_id  # read.py hashes the content once; this only tells uploads apart
    st.header(inert(upload.name))
    try:
        base = cache.prepared_file(fid, data, upload.name, tuple(st.session_state.get(f"hdrs:{fid}", {}).items()),
                                    tuple(st.session_state.get(f"kinds:{fid}", {}).items()), key,
                                    tuple(sorted(st.session_state.get(f"incl:{fid}", ()))))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        chrome.show_error(exc)
        return
    chrome.table(core_review.sheet_overview(base.sheets), f"{upload.name}_sheets")
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
            include, kinds[ps.table.sheet], headers[ps.table.sheet] = review.sheet_controls(ps, fid)
            if include:
                chosen.append(review.edit_mapping(ps, fid))
    if headers != {ps.table.sheet: ps.table.header_row for ps in base.sheets} or kinds != {
            ps.table.sheet: ps.mapping.kind for ps in base.sheets}:
        st.session_state[f"hdrs:{fid}"], st.session_state[f"kinds:{fid}"] = headers, kinds
        st.rerun()
    final = PreparedFile(base.read, chosen)
    preview, commit = st.columns(2)
    choices = review.choices_key(chosen)  # a plan holds only for the choices it was previewed with
    if preview.button("Preview changes", key=f"prev:{fid}", type="secondary", disabled=not chosen):
        try:
            st.session_state[f"plan:{fid}"] = (choices, execute(engine, final, dry_run=True))
        except Exception as exc:  # noqa: BLE001
            st.session_state.pop(f"plan:{fid}", None)
            chrome.show_error(exc)
    previewed, plan = st.session_state.get(f"plan:{fid}") or (None, None)
    if plan is not None and previewed != choices:  # kept: choosing the same again brings it back
        plan = None
        st.info("The mapping changed since the preview: preview again to see what the import will do now.")
    if plan is not None:
        review.show_plan(plan, upload.name)
    resolutions = review.pick_conflicts(plan, fid) if plan is not None else {}
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
