"""Overview page under AppTest: counts per kind and the last imports, from a real database."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.importing.service import import_path
from tests.conftest import GMPP, SERVICENOW

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "overview.py")
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def db_env(monkeypatch: pytest.MonkeyPatch, db_url: str, engine) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_shows_counts_and_last_imports(db_env: str, engine) -> None:
    import_path(engine, SERVICENOW, user="tester")
    import_path(engine, GMPP, user="tester")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Work items"] == "1,125" and shown["Status events"] == "3,418"
    batches = at.dataframe[1].value
    assert batches["File"].tolist() == ["uk_gmpp_projects_2022.csv", "servicenow_incident_event_log_sample.csv"]
    assert batches["New"].tolist() == [235, 890] and batches["By"].tolist() == ["tester", "tester"]
    sources = at.dataframe[0].value
    assert set(sources["Source"]) == {"uk_gmpp_projects_2022", "servicenow_incident_event_log_sample"}


def test_overview_refreshes_after_an_import(db_env: str, engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert any("No data loaded yet" in i.value for i in at.info)
    import_path(engine, GMPP, user="tester")
    at.run()
    assert metrics(at)["Work items"] == "235"


def test_app_routes_to_the_overview(db_env: str, engine) -> None:
    import_path(engine, GMPP, user="tester")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
