"""The import engine: read → map → validate → plan → commit, one module per step."""
