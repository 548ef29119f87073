"""Sign-in throttling in server memory: per client address, and per client address and account name.

Why not only a lock on the account: anyone who knows a name could then keep that account (the admin's
included) locked for ever. Failures from one address slow down only that address; the account's own
lock (core.accounts.auth, in the database) needs many more failures, from several addresses.

Each key gets ``free`` failures; the next one makes it wait, 30 s the first time and twice as long each
time after (at most 15 minutes). When a wait ends the failure count starts again from zero (a single
wrong password after a wait does not make it wait again), but the next wait is longer; a day without
failures forgets the key. Unknown names are throttled exactly like real ones, so nothing tells them apart.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Hashable, Iterable

FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)
MAX_KEYS = 100_000  # bounded memory: the oldest keys are forgotten first


def backoff(level: int, first: timedelta = FIRST_WAIT, cap: timedelta = MAX_WAIT) -> timedelta:
    """The wait after the ``level``-th lock: first, then doubling, never beyond cap."""
    return min(cap, first * (2 ** max(0, min(level - 1, 30))))


@dataclass
class _Entry:
    failures: int
    level: int
    until: datetime | None
    last: datetime


class Throttle:
    """Failure counts and waits per key (thread-safe: Streamlit runs sessions in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}

    def _current(self, key: Hashable, now: datetime) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now - entry.last > FORGET_AFTER:
            del self._entries[key]
            return None
        if entry.until is not None and entry.until <= now:  # the wait is over: the count starts again
            entry.failures, entry.until = 0, None
        return entry

    def waiting(self, keys: Iterable[Hashable], now: datetime) -> bool:
        """Whether any of these keys must still wait (the attempt is then refused unchecked)."""
        with self._lock:
            return any((e := self._current(k, now)) is not None and e.until is not None for k in keys)

    def failure(self, key: Hashable, free: int, now: datetime) -> None:
        with self._lock:
            entry = self._current(key, now) or _Entry(0, 0, None, now)
            entry.failures, entry.last = entry.failures + 1, now
            if entry.failures >= free:
                entry.level += 1
                entry.until = now + backoff(entry.level)
            self._entries.pop(key, None)
            self._entries[key] = entry  # newest last: the oldest is dropped first
            while len(self._entries) > MAX_KEYS:
                self._entries.pop(next(iter(self._entries)))

    def success(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)


THROTTLE = Throttle()
