"""What one import carries through its sheets (the context) and what each sheet's batch reports (the result).

Kept apart from the writers so that planning, writing and undo share these types without importing each other.
"""
from __future__ import annotations

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
