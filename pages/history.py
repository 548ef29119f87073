"""Import history: every batch with its counts, its problems, and Undo."""
import streamlit as st

from core.importing import review
from core.importing.commit import undo_batch
from core.importing.history import KIND_COUNTS, last_imports_table, sources_table
from core.text import inert
from ui import cache, chrome, signin

key = chrome.page_setup("Import history")
engine, viewer = cache.engine(), signin.viewer()
batches = cache.viewer_batches(key, viewer)
if batches.empty:
    chrome.stop_empty("No imports yet.")

counts = cache.table_counts(key)
for col, (table, label) in zip(st.columns(len(KIND_COUNTS)), KIND_COUNTS):
    col.metric(label, f"{counts[table]:,}")
if undone_note := st.session_state.pop("history_undone", None):  # said once, after the rerun that shows the undo
    st.success(undone_note)
st.caption("Imports and in-app edits (kind 'edit'), newest first; each can be undone below.")
chrome.table(last_imports_table(batches, limit=500), "imports")
with st.expander("Work items by source"):
    chrome.table(sources_table(cache.work_item_counts(key)), "work_items_by_source")

labels = {int(r.id): f"#{r.id} · {r.file_name}{' · ' + r.sheet if isinstance(r.sheet, str) else ''} · {r.state}"
          for r in batches.itertuples()}
batch_id = st.selectbox("Batch", list(labels), format_func=labels.get)
chosen = batches.set_index("id").loc[batch_id]

issues = cache.batch_issues(key, viewer, batch_id)
if not issues.empty:
    st.markdown(f"**Problems found in batch #{batch_id}**")
    chrome.table(issues[["severity", "sheet", "row", "column", "value", "message"]], f"import_{batch_id}_issues",
                 placeholder="", column_config={"severity": "Severity", "sheet": "Sheet", "row": "Row",
                                                "column": "Column", "value": "Value",
                                                "message": st.column_config.TextColumn("Message", width="large")})
rejected = cache.rejected_rows(key, viewer, batch_id)
if rejected:
    st.download_button("Download rejected rows (xlsx)", lambda: review.rejected_workbook(rejected),
                       file_name=f"rejected_batch_{batch_id}.xlsx", on_click="ignore")

if chosen["state"] == "committed":
    with st.form(f"undo:{batch_id}"):
        st.markdown(f"**Undo batch #{batch_id}** restores the data exactly as it was before it "
                    "(sheets imported together with it are undone with it).")
        sure = st.checkbox("Yes, undo this import")
        if st.form_submit_button("Undo", type="primary"):
            if not sure:
                st.warning("Tick the box to confirm.")
            else:
                try:
                    undone = undo_batch(engine, batch_id, viewer)
                except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                    chrome.show_error(exc)
                else:
                    gone = batches[batches["id"].isin(undone)]
                    st.session_state["history_undone"] = (
                        f"Undone: batch {', '.join(f'#{i}' for i in undone)} of {inert(chosen['file_name'])}: "
                        f"{int(gone['inserted'].sum()):,} new row(s) removed, {int(gone['updated'].sum()):,} "
                        "updated row(s) restored to what they were before.")
                    st.rerun()
else:
    st.caption(f"Batch #{batch_id} was undone.")
