"""Stores every page's opening view in the background once the data changed, so the next cold page reads it.

Whatever committed (an import or an undo in the app, an edit, a scheduled CLI import, another replica), the first
page a server draws for a new data version hands that version's inputs to :func:`ensure`. One worker thread per
server process then computes and stores the views of core.reporting.views.default_views that are not stored yet,
one (version, scope) at a time, over the same frames the pages read (no second copy in memory). A page that asks
for a view the worker is computing waits for it (core.store.snapshots.remembered) instead of computing it twice.

Set ``THROUGHLINE_BACKGROUND_REFRESH=0`` to turn it off (the test suite does, except where it tests it): views are
then computed by the first page that needs them, or by ``python -m core refresh-views``.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import os
import queue
import threading
from typing import TYPE_CHECKING

import pyarrow as pa

from core.reporting.views import ViewInputs, refresh_inputs
from core.store.tables import data_version

if TYPE_CHECKING:
    from core.reporting.report import ReportOptions

log = logging.getLogger(__name__)

_asked: dict[tuple[str, str | None], int] = {}  # (database, scope) → the newest version handed to the worker
_guard = threading.Lock()
_work: queue.Queue[tuple[ViewInputs, ReportOptions | None]] = queue.Queue()
_worker: threading.Thread | None = None


def enabled() -> bool:
    return os.environ.get("THROUGHLINE_BACKGROUND_REFRESH", "1").strip() != "0"


def ensure(inp: ViewInputs, opts: ReportOptions | None = None) -> bool:
    """Queue the refresh of this version and scope unless it was queued already; True when it was queued now.

    Cheap enough to call on every page run: a lock and a dictionary lookup."""
    global _worker
    if not enabled() or not inp.stored:
        return False
    where = (str(inp.engine.url), inp.scope)
    with _guard:
        if _asked.get(where, -1) >= inp.version:
            return False
        _asked[where] = inp.version
        _work.put((inp, opts))
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_run, name="throughline-refresh-views", daemon=True)
            _worker.start()
    return True


def _run() -> None:
    while True:
        inp, opts = _work.get()
        try:
            _refresh_one(inp, opts)
        except Exception:  # a failed refresh costs the next page time, never an error on screen
            log.exception("background refresh of data version %s failed", inp.version)
        finally:
            _work.task_done()


def _refresh_one(inp: ViewInputs, opts: ReportOptions | None) -> None:
    if data_version(inp.engine) != inp.version:
        return  # newer data: the first page drawn for it queues its own refresh
    spent = refresh_inputs(inp, opts)
    inp.forget()  # the pages now read stored views; what they still hold stays, the rest is freed
    _give_back_memory()
    if spent:
        log.info("stored %d opening views of data version %s in %.1f s", len(spent), inp.version,
                 sum(spent.values()))


def _give_back_memory() -> None:
    """Return what the refresh freed to the system: Arrow's allocator and glibc's keep freed blocks otherwise,
    and a server would carry the refresh's peak for the rest of its life."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): the memory is reused, just not given back
        pass


def wait_idle() -> None:
    """Block until every queued refresh is done (for tests and for a clean shutdown)."""
    _work.join()
