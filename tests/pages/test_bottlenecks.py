"""Bottlenecks page under AppTest on the sample scenario and on an empty database."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.sample import load_sample

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "bottlenecks.py")


def test_renders_the_sample_with_every_tab(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Aging WIP", "Flow", "Waits between teams", "Owner load", "Overdue"]
    assert "older than the 85th percentile" in " ".join(m.value for m in at.markdown)
    assert "Longest chain" not in " ".join(m.value for m in at.markdown)  # only the open tab runs
    at.session_state["bottlenecks_tab"] = "Waits between teams"  # the user opens the tab
    at.run()
    assert not at.exception
    texts = " ".join(m.value for m in at.markdown)
    assert "Longest chain of unfinished work:** MIG\\-07" in texts  # escaped: imported keys are inert text
    for label in ("Flow", "Owner load", "Overdue"):
        at.session_state["bottlenecks_tab"] = label
        at.run()
        assert not at.exception and at.get("plotly_chart"), label


def test_team_filter_narrows_the_view(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.sidebar.multiselect[0].select("Data Platform").run()
    assert not at.exception
    assert any("1 items in progress · 1 items" in c.value for c in at.caption)  # MIG-07 only
    for table in (d.value for d in at.dataframe if "team" in d.value.columns):
        assert set(table["team"]) <= {"Data Platform"}


def test_empty_database_says_what_to_do(db_env: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and "No work items yet" in at.info[0].value


def test_items_without_status_history_still_render(db_env: str, engine) -> None:
    from core.importing.service import import_path
    from tests.conftest import GMPP

    import_path(engine, GMPP, user="t")  # 235 projects, no status column: no events at all
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("235 items" in c.value for c in at.caption)
