"""Typed errors whose message is written for the person who uploaded the file."""
from __future__ import annotations


class ThroughlineError(Exception):
    """Base: ``str(err)`` is a complete, user-facing sentence."""


class ImportRefused(ThroughlineError):
    """Nothing can be imported from this file (unreadable, unsafe, missing required columns)."""

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        where = ", ".join(p for p in (
            f"file '{file}'" if file else "",
            f"sheet '{sheet}'" if sheet else "",
            f"row {row}" if row else "",
            f"column '{column}'" if column else "",
        ) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        self.reason = message


class UndoRefused(ThroughlineError):
    """The batch cannot be undone without losing a later change."""


class NotFound(ThroughlineError):
    pass


class EditRefused(ThroughlineError):
    """An in-app edit that cannot be saved as it stands; nothing was written."""
