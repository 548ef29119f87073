"""The one resolver of objective and KPI references, used by import, My work, Strategy and alignment rules.

People write an objective as its code ("O2") or its title ("Cut onboarding time"), in any case and
spacing; a KPI as its code or its name. Every place that turns such text into a row must agree, or
a title that imports fine is refused when typed into My work. A code always wins over a title that
happens to read the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.store.tables import T
from core.store.values import is_blank, name_key

Referenced = Literal["objective", "kpi"]
TITLE_COLUMN: dict[Referenced, str] = {"objective": "title", "kpi": "name"}


@dataclass(frozen=True)
class CodeIndex:
    """Codes and titles (folded) → code, and code ↔ id, for one table, read once per transaction."""

    by_text: dict[str, str]
    code_of: dict[int, str]
    id_of: dict[str, int]

    @classmethod
    def load(cls, conn: Connection, table: Referenced) -> "CodeIndex":
        t = T[table]
        by_text: dict[str, str] = {}
        code_of: dict[int, str] = {}
        for ident, code, title in conn.execute(sa.select(t.c.id, t.c.code, t.c[TITLE_COLUMN[table]])):
            code_of[int(ident)] = code
            if not is_blank(title):
                by_text.setdefault(name_key(title), code)
        for code in code_of.values():  # codes last: they overwrite a title that reads the same
            by_text[name_key(code)] = code
        return cls(by_text, code_of, {code: ident for ident, code in code_of.items()})

    def code(self, text: object) -> str | None:
        """The code ``text`` refers to (by code or title), or None when it names nothing (or is blank)."""
        return None if is_blank(text) else self.by_text.get(name_key(text))

    def id(self, text: object) -> int | None:
        """The row id ``text`` refers to, or None."""
        code = self.code(text)
        return None if code is None else self.id_of[code]


def objectives(conn: Connection) -> CodeIndex:
    return CodeIndex.load(conn, "objective")


def kpis(conn: Connection) -> CodeIndex:
    return CodeIndex.load(conn, "kpi")
