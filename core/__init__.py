"""Throughline core: every piece of logic, free of Streamlit (except core/cached.py)."""
