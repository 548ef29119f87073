"""Throughline core: every piece of logic, free of Streamlit (the Streamlit layer is ui/)."""
