"""One transaction around steps that each open their own: a My work re-import that also closes rows.

The import engine (``core.importing.service.execute``) and an edit batch (``core.store.edits.edit_batch``)
each take an Engine and commit what they wrote. A re-import that closes the rows its file no longer
has must commit the import and the closing together or not at all, so it hands both a stand-in: every
connection they ask for is this unit's one connection, and every transaction they begin is a savepoint
inside the unit's transaction (SQLAlchemy's "join an external transaction" recipe). Nothing is
committed until the unit ends without an error; an error anywhere rolls all of it back.

The steps only ask their engine for ``connect()`` and ``begin()``; if the import engine ever offers an
entry point that takes the caller's connection, this module can go.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from sqlalchemy.engine import Connection, Engine, NestedTransaction


class _Joined(Connection):
    """A connection whose ``begin`` is a savepoint and whose ``close`` waits for the unit to end."""

    def begin(self) -> NestedTransaction:  # type: ignore[override]
        return self.begin_nested()

    def close(self) -> None:
        """Closed by the unit, not by a step."""


class UnitOfWork:
    """What the steps see as their engine, for as long as the unit runs."""

    def __init__(self, engine: Engine) -> None:
        self.conn: Connection = _Joined(engine)

    def connect(self) -> Connection:
        return self.conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.conn.begin_nested():
            yield self.conn

    def as_engine(self) -> Engine:
        """For a step typed to take an Engine (it calls ``connect()`` and ``begin()`` only)."""
        return cast(Engine, self)


@contextmanager
def one_transaction(engine: Engine) -> Iterator[UnitOfWork]:
    """Run steps as one transaction: committed when the block ends, rolled back if it raises."""
    unit = UnitOfWork(engine)
    try:
        with Connection.begin(unit.conn):
            yield unit
    finally:
        Connection.close(unit.conn)
