"""Load the sample scenario into an empty database through the import engine (no side door)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from core import repo
from core.config import REPO_ROOT
from core.importing.service import ImportResult, import_path

SAMPLE_DIR = REPO_ROOT / "sample_data"
# Strategy first (people, objectives, KPIs), then readings, then the trackers that refer to them.
FIRST = ("strategy.xlsx", "kpi_readings.csv")


def sample_files(folder: Path = SAMPLE_DIR) -> list[Path]:
    files = [p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith("~$")]
    return sorted(files, key=lambda p: (FIRST.index(p.name) if p.name in FIRST else len(FIRST), p.name))


def database_is_empty(engine: Engine) -> bool:
    counts = repo.table_counts(engine)
    return counts["importbatch"] == 0 and counts["workitem"] == 0 and counts["objective"] == 0


def load_sample(engine: Engine, folder: Path = SAMPLE_DIR, user: str = "sample-loader",
                only_if_empty: bool = True) -> list[ImportResult]:
    """Import every sample file; skipped entirely when the database already holds data."""
    if only_if_empty and not database_is_empty(engine):
        return []
    return [import_path(engine, path, user=user) for path in sample_files(folder)]
