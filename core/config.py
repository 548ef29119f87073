"""Settings read from the environment, with defaults for one manager on a laptop.

Kept in one place so that the CLI, the pages and the tests agree on limits and
on which database they talk to.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = REPO_ROOT / "data" / "throughline.db"


def int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


@dataclass(frozen=True)
class ImportLimits:
    """Refuse input before parsing when it could exhaust memory (zip/XML bombs, huge files)."""

    max_file_mb: int = 200
    max_uncompressed_mb: int = 400
    max_compression_ratio: int = 250
    max_rows: int = 1_048_576  # Excel's own sheet limit
    max_columns: int = 2_000  # csv, xlsx, HTML and XML alike; a wider indicator sheet is refused naming the env var
    max_cells: int = 5_000_000  # filled cells per sheet: the full ServiceNow log (120k × 36 = 4.3M) fits; ~740 MB
    max_area: int = 5_000_000  # rows × columns of the used range, empty cells included (the parser's grid)
    max_cell_chars: int = 32_767  # Excel's own limit per cell


@dataclass(frozen=True)
class Settings:
    database_url: str
    limits: ImportLimits = field(default_factory=ImportLimits)
    stale_days: int = 14


def database_url() -> str:
    """`DATABASE_URL` if set, otherwise the embedded SQLite file under data/."""
    return os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DEFAULT_DB_PATH}"


def load_settings() -> Settings:
    limits = ImportLimits(
        max_file_mb=int_env("THROUGHLINE_MAX_FILE_MB", ImportLimits.max_file_mb),
        max_uncompressed_mb=int_env("THROUGHLINE_MAX_UNCOMPRESSED_MB", ImportLimits.max_uncompressed_mb),
        max_compression_ratio=int_env("THROUGHLINE_MAX_COMPRESSION_RATIO", ImportLimits.max_compression_ratio),
        max_rows=int_env("THROUGHLINE_MAX_ROWS", ImportLimits.max_rows),
        max_cells=int_env("THROUGHLINE_MAX_CELLS", ImportLimits.max_cells),
        max_columns=int_env("THROUGHLINE_MAX_COLUMNS", ImportLimits.max_columns),
        max_area=int_env("THROUGHLINE_MAX_AREA", ImportLimits.max_area),
    )
    return Settings(database_url=database_url(), limits=limits,
                    stale_days=int_env("THROUGHLINE_STALE_DAYS", 14))
