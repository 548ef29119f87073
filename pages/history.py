"""Import history: every batch with its counts, its problems, and Undo."""
import streamlit as st

from core import cached, repo
from core.importing import review
from core.auth import visible_batches
from core.importing.commit import undo_batch
from core.overview import KIND_COUNTS, last_imports_table, sources_table

key = cached.page_setup("Import history")
engine = cached.engine()
batches = visible_batches(cached.batches(key), cached.viewer())
if batches.empty:
    cached.stop_empty("No imports yet.")

counts = cached.table_counts(key)
for col, (table, label) in zip(st.columns(len(KIND_COUNTS)), KIND_COUNTS):
    col.metric(label, f"{counts[table]:,}")
st.caption("Imports and in-app edits (kind 'edit'), newest first; each can be undone below.")
cached.table(last_imports_table(batches, limit=500), "imports")
with st.expander("Work items by source"):
    cached.table(sources_table(cached.work_item_counts(key)), "work_items_by_source")

labels = {int(r.id): f"#{r.id} · {r.file_name}{' · ' + r.sheet if isinstance(r.sheet, str) else ''} · {r.state}"
          for r in batches.itertuples()}
batch_id = st.selectbox("Batch", list(labels), format_func=labels.get)
chosen = batches.set_index("id").loc[batch_id]

issues = repo.issues_of(engine, batch_id)
if not issues.empty:
    st.markdown(f"**Problems found in batch #{batch_id}**")
    cached.table(issues[["severity", "sheet", "row", "column", "value", "message"]], f"import_{batch_id}_issues")
rejected = repo.rejected_rows_of(engine, batch_id)
if rejected:
    st.download_button("Download rejected rows (xlsx)", lambda: review.rejected_workbook(rejected),
                       file_name=f"rejected_batch_{batch_id}.xlsx")

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
                    undone = undo_batch(engine, batch_id, cached.viewer())
                except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                    cached.show_error(exc)
                else:
                    st.success(f"Undone: batch(es) {', '.join(map(str, undone))}.")
                    st.rerun()
else:
    st.caption(f"Batch #{batch_id} was undone.")
