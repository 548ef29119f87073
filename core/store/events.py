""""A batch was committed": the importer announces it, and the packages that react subscribe.

Applying alignment rules to new work and raising KPI signals on new readings happen inside the
import's own transaction (all or nothing), but they are alignment's and the KPIs' business, not the
importer's. So the importer publishes one event and each subscriber, listed here by module name,
answers with what it did. The list is explicit (not discovered) so that no import, wherever it
starts (page, CLI, test), can run without its subscribers.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.engine import Connection

SUBSCRIBERS: tuple[str, ...] = ("core.alignment.rules", "core.kpis.signals")  # each has on_batch_committed


@dataclass(frozen=True)
class BatchCommitted:
    """What one sheet's import wrote: enough for a subscriber to find the rows it cares about."""

    conn: Connection
    batch_id: int
    kind: str
    user: str | None
    inserted: int
    updated: int
    kpi_codes: tuple[str, ...] = field(default=())  # KPIs that received new or changed readings


Handler = Callable[[BatchCommitted], dict[str, dict[str, int]]]
_handlers: list[Handler] = []


def _subscribed() -> list[Handler]:
    if not _handlers:
        _handlers.extend(importlib.import_module(name).on_batch_committed for name in SUBSCRIBERS)
    return _handlers


def publish(event: BatchCommitted) -> dict[str, dict[str, int]]:
    """Run every subscriber in the caller's transaction; their reports, merged, for the import's details."""
    details: dict[str, dict[str, int]] = {}
    for handler in _subscribed():
        details.update(handler(event))
    return details
