"""One problem found in a file: where it is (sheet, Excel row, column, value), what it is, and how grave."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Issue:
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"  # error: row rejected | warning: row kept | blocking: sheet refused
    sheet: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value,
                "message": self.message, "severity": self.severity}
