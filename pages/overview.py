"""Overview: what is loaded (counts per kind) and the last imports with their counts."""
import streamlit as st

from core import cached
from core.overview import KIND_COUNTS, last_imports_table, sources_table

key = cached.page_setup("Overview")
counts = cached.table_counts(key)

if not any(counts[t] for t, _ in KIND_COUNTS):
    cached.stop_empty("No data loaded yet. Import a spreadsheet, or run `make run` (it loads the sample scenario into "
                      "an empty database).")

cols = st.columns(len(KIND_COUNTS))
for col, (table, label) in zip(cols, KIND_COUNTS):
    col.metric(label, f"{counts[table]:,}")

st.subheader("Work items by source")
st.dataframe(sources_table(cached.work_item_counts(key)), hide_index=True, width="stretch")

st.subheader("Last imports")
cached.link("pages/history.py", "Open the import history (details, rejected rows, undo)", ":material/history:")
st.dataframe(last_imports_table(cached.batches(key)), hide_index=True, width="stretch")
