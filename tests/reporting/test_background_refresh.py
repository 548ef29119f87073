"""The background refresh: after a commit in the app, the pages visited next open from stored views.

Real pages under AppTest on a real database (the sample plus the ServiceNow export); the commit is an undo made on
the Import history page. That the next pages *read* the stored views is shown by making every view's computation
fail: a page that still draws had nothing to compute.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.importing.service import import_path
from core.reporting import refresher, views
from core.reporting.report import ReportOptions
from core.sample import load_sample
from core.store import snapshots, tables
from tests.conftest import SERVICENOW

PAGES = Path(__file__).resolve().parents[2] / "pages"


def _missing(engine, scope: str | None = None) -> list[str]:
    """The opening views not stored for the current data version (core.reporting.views.default_views)."""
    inp = views.ViewInputs(engine, tables.data_version(engine), scope)
    return [name for name, params in views.default_views(inp, ReportOptions.from_env())
            if not snapshots.is_stored(engine, snapshots.ViewKey(name, scope, params), inp.version)]


@pytest.fixture
def refreshing(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("THROUGHLINE_BACKGROUND_REFRESH", "1")
    monkeypatch.setenv("DATABASE_URL", db_url)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_new_version_is_refreshed_once_and_a_stale_one_not_at_all(engine, refreshing) -> None:
    load_sample(engine)
    old = tables.data_version(engine)
    import_path(engine, SERVICENOW, user="t", dry_run=False)
    new = tables.data_version(engine)
    assert refresher.ensure(views.ViewInputs(engine, old, None))  # a page drawn just before the import landed
    refresher.wait_idle()
    assert snapshots.stored_versions(engine) == []  # the data moved on: nothing computed for the older version
    assert refresher.ensure(views.ViewInputs(engine, new, None))
    refresher.wait_idle()
    assert _missing(engine) == []
    assert not refresher.ensure(views.ViewInputs(engine, new, None))  # each version and scope once
    assert not refresher.ensure(views.ViewInputs(engine, old, None))  # and never an older one after it


def test_after_an_undo_in_the_app_the_next_pages_open_from_stored_views(engine, refreshing, monkeypatch) -> None:
    load_sample(engine)
    import_path(engine, SERVICENOW, user="t", dry_run=False)
    at = AppTest.from_file(str(PAGES / "history.py"), default_timeout=180).run()
    assert not at.exception
    at.checkbox[0].check()
    at.button[0].click().run()  # undo the ServiceNow import: a commit made in the app
    assert not at.exception and at.success
    version = tables.data_version(engine)
    refresher.wait_idle()
    assert _missing(engine) == []  # every opening view of the new version, stored without anyone asking

    def not_computed(*_args: object) -> object:
        raise AssertionError("a view was computed although it was stored")

    monkeypatch.setattr(views, "VIEWS", {name: not_computed for name in views.VIEWS})
    st.cache_data.clear()
    st.cache_resource.clear()  # a new server process: nothing in memory, only what the database keeps
    for page in ("overview.py", "bottlenecks.py", "reality.py", "kpi_conflicts.py"):
        at = AppTest.from_file(str(PAGES / page), default_timeout=180).run()
        assert not at.exception and not at.error, (page, at.exception, [e.value for e in at.error])
        assert at.title and "data version" in " ".join(c.value for c in at.sidebar.caption)
    assert tables.data_version(engine) == version


def test_two_threads_asking_for_one_view_compute_it_once(engine) -> None:
    """The page and the background refresh asking together: the second waits and reads what the first stored."""
    load_sample(engine)
    version = tables.data_version(engine)
    calls: list[int] = []
    gate = threading.Event()

    def compute() -> dict[str, int]:
        calls.append(1)
        gate.wait(10)
        return {"items": 7}

    key = snapshots.ViewKey("probe", None)
    got: list[object] = []
    askers = [threading.Thread(target=lambda: got.append(snapshots.remembered(engine, key, version, compute)))
              for _ in range(2)]
    for t in askers:
        t.start()
    time.sleep(0.5)  # both are inside remembered: one computing, one waiting
    gate.set()
    for t in askers:
        t.join(30)
    assert calls == [1] and got == [{"items": 7}, {"items": 7}]
    assert snapshots.load(engine, key, version) == (True, {"items": 7})
