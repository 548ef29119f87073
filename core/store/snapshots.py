"""Views kept per data version and scope, so a cold page reads one row instead of recomputing from 100,000.

A view (the executive report, the Bottlenecks view for some filters, …) is a pure function of the raw tables,
the viewer's scope and its arguments. Once computed it is stored under the data version it was computed from;
every commit bumps the version (core.store.tables.bump_data_version), so a stored view is never read for data it
does not describe, and rows of older versions are pruned on the next save. Servers sharing one database share
the stored views too. The table is derived: losing it costs time, never data, and no batch or audit entry
mentions it.

A stored view is also keyed on the code that computed it (:func:`code_fingerprint`): after an upgrade, views
computed by the older code for the same data are not served (their shape or their rules may have changed).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.store import snapshot_codec as codec
from core.store.tables import T, data_version

log = logging.getLogger(__name__)
V = TypeVar("V")


@dataclass(frozen=True)
class ViewKey:
    """Which view, for whom, with which arguments (any nest of str, numbers, dates, tuples)."""

    name: str
    scope: str | None = None
    params: tuple[object, ...] = ()

    def params_text(self) -> str:
        """The arguments as stored: with the code's fingerprint first, so other code never reads this copy."""
        return json.dumps([code_fingerprint(), codec.skeleton(self.params)], sort_keys=True, separators=(",", ":"))


@cache
def code_fingerprint() -> str:
    """A digest of every module under core/ (what computes the views), read once per process (about 5 ms)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _where(key: ViewKey, version: int) -> sa.ColumnElement[bool]:
    t = T["viewsnapshot"]
    return sa.and_(t.c.name == key.name, t.c.scope == (key.scope or ""), t.c.params == key.params_text(),
                   t.c.data_version == version)


def is_stored(engine: Engine, key: ViewKey, version: int) -> bool:
    """Whether the view is kept for this version, without reading (or decoding) its payload."""
    t = T["viewsnapshot"]
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(t.c.data_version).where(_where(key, version))).first() is not None
    except SQLAlchemyError:
        return False


def load(engine: Engine, key: ViewKey, version: int) -> tuple[bool, object]:
    """(True, the view) when it is stored for this data version; (False, None) otherwise or when unreadable."""
    t = T["viewsnapshot"]
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.select(t.c.payload).where(_where(key, version))).first()
        return (True, codec.decode(bytes(row[0]))) if row else (False, None)
    except (SQLAlchemyError, ValueError, KeyError) as exc:  # a damaged or foreign row is recomputed, never shown
        log.warning("stored view %s unreadable: %s", key.name, exc)
        return False, None


def save(engine: Engine, key: ViewKey, version: int, value: object, seconds: float) -> bool:
    """Keep the view for this version (replacing its older copy) and prune every older version's rows.

    False, and nothing kept, when the value holds a type the codec cannot restore exactly or the write fails (a
    locked or read-only database): the view was computed all the same.
    """
    t = T["viewsnapshot"]
    try:
        payload = codec.encode(value)
    except codec.NotStorable as exc:
        log.warning("view %s not stored: %s", key.name, exc)
        return False
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.data_version < version))
            conn.execute(sa.delete(t).where(t.c.name == key.name, t.c.scope == (key.scope or ""),
                                            t.c.params == key.params_text()))
            conn.execute(sa.insert(t).values(name=key.name, scope=key.scope or "", params=key.params_text(),
                                             data_version=version, payload=payload, seconds=seconds))
        return True
    except SQLAlchemyError as exc:  # another server saved it first, or the database is busy: recompute next time
        log.info("view %s not stored: %s", key.name, exc)
        return False


class _Flight:
    """One lock per view being computed in this process (weakly kept: it goes when nobody waits on it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


_flights: weakref.WeakValueDictionary[tuple[str, ViewKey, int], _Flight] = weakref.WeakValueDictionary()
_flights_guard = threading.Lock()


def _flight(engine: Engine, key: ViewKey, version: int) -> _Flight:
    with _flights_guard:
        ident = (str(engine.url), key, version)
        flight = _flights.get(ident)
        if flight is None:
            flight = _flights[ident] = _Flight()
        return flight


def remembered(engine: Engine, key: ViewKey, version: int, compute: Callable[[], V]) -> V:
    """The stored view for ``version``, or compute it and store it, unless the data changed meanwhile (a view
    computed across a commit may mix two versions, so it is shown once and not kept).

    Within one process a view is computed once at a time: a page asking for the view the background refresh
    (core.reporting.refresher) is computing waits for it and reads what it stored, rather than computing it too.
    """
    found, value = load(engine, key, version)
    if found:
        return value  # type: ignore[return-value]  # stored by this function from compute() of the same key
    flight = _flight(engine, key, version)
    with flight.lock:
        found, value = load(engine, key, version)  # stored while this thread waited
        if found:
            return value  # type: ignore[return-value]
        t0 = time.perf_counter()
        fresh = compute()
        if data_version(engine) == version:
            save(engine, key, version, fresh, time.perf_counter() - t0)
        return fresh


def stored_versions(engine: Engine) -> list[tuple[str, str, str, int, float]]:
    """(name, scope, params, data version, seconds) of every stored view, for the CLI and tests."""
    t = T["viewsnapshot"]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(t.c.name, t.c.scope, t.c.params, t.c.data_version,
                                                         t.c.seconds).order_by(t.c.name, t.c.scope, t.c.params))]
