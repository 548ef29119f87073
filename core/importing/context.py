"""What one import carries through its sheets (the context) and what each sheet's batch reports (the result).

Kept apart from the writers so that planning, writing and undo share these types without importing each other.
Also the one switch an import runs under: Python's cyclic garbage collector paused (:func:`collector_paused`).
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.importing.issues import Issue
from core.store.models import utcnow


@dataclass
class ImportContext:
    file_name: str
    sha256: str
    file_format: str
    user: str | None
    group_key: str
    now: datetime = field(default_factory=utcnow)


@dataclass
class SheetResult:
    batch_id: int
    sheet: str | None
    kind: str
    source: str | None
    profile_name: str | None
    rows_read: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status_events: int = 0
    issues: list[Issue] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # key, field, before, after (first rows)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)  # original values + reason
    date_formats: dict[str, str] = field(default_factory=dict)
    details: dict[str, dict[str, int]] = field(default_factory=dict)  # per entity, for scorecards
    new_people: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)


_PAUSE = threading.Lock()
_pauses = {"depth": 0, "was_enabled": False}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while an import reads, checks, plans and writes.

    An import builds millions of containers (cells, rows, tuples, before-images) that form no cycles, and the
    collector walks all of them again each time they grow by a quarter: 0.5 s of an updating re-import of
    100,000 rows. Reference counting still frees every value as before; a cycle left over is collected once
    the collector runs again. Counted, so that overlapping imports (a server's threads) turn it back on only
    when the last one ends, and never when it was off before the first began.
    """
    with _PAUSE:
        if _pauses["depth"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["depth"] += 1
    try:
        yield
    finally:
        with _PAUSE:
            _pauses["depth"] -= 1
            if _pauses["depth"] == 0 and _pauses["was_enabled"]:
                gc.enable()
