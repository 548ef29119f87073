"""Overview under AppTest: first run, the sample scenario, the ServiceNow export alone; counts on the history page."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.importing.service import import_path
from core.reporting.report import (
    ReportOptions,
    build_report,
    format_change,
    format_value,
    load_frames,
    report_json,
)
from core.sample import load_sample
from tests.conftest import GMPP, SERVICENOW

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "overview.py")
HISTORY = str(ROOT / "pages" / "history.py")
APP = str(ROOT / "app.py")


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.proto.delta or None) for m in at.metric}


def test_first_run_points_to_import_and_loads_the_sample(db_env: str, engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert "Nothing is loaded yet" in at.info[0].value
    at.button[0].click().run()  # "Load the sample scenario"
    assert not at.exception
    assert "Open work linked" in metrics(at)


def test_sample_headline_equals_the_report_and_the_json(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    shown = metrics(at)
    report = build_report(load_frames(engine))
    data = report_json(report)
    for row in data["headline"]:
        label = row["label"]
        assert shown[label][0] == format_value(row["value"], row["format"]), label
        assert shown[label][1] == format_change(row["change"], row["format"]), label
    attention = next(d.value for d in at.dataframe if "reason" in d.value)
    assert attention["reason"].tolist() == [a["reason"] for a in data["attention"]]
    assert attention["owner"].tolist() == [a["owner"] for a in data["attention"]]
    assert len(attention) == 5


def test_servicenow_alone_renders(db_env: str, engine) -> None:
    import_path(engine, SERVICENOW, user="tester")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    shown = metrics(at)
    # no objectives at all: not "100% hidden" but the plain fact that no strategy is loaded, and how to load one
    assert shown["Hidden work"][0] == "n/a" and shown["Open work linked"][0] == "n/a"
    assert any("No strategy is loaded" in i.value and "Import page" in i.value for i in at.info)
    figures = build_report(load_frames(engine))["figures"]
    assert shown["Open work linked"][0] == format_value(figures["linked_share"], "pct")
    assert shown["Work in progress"][0] == format_value(figures["wip"], "int")
    assert shown["KPIs red"][0] == "0"


def test_history_page_shows_counts_and_last_imports(db_env: str, engine) -> None:
    import_path(engine, SERVICENOW, user="tester")
    import_path(engine, GMPP, user="tester")
    at = AppTest.from_file(HISTORY, default_timeout=60).run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Work items"] == "1,125" and shown["Status events"] == "3,418"
    batches, sources = at.dataframe[0].value, at.dataframe[1].value
    assert set(sources["Source"]) == {"uk_gmpp_projects_2022", "servicenow_incident_event_log_sample"}
    assert batches["File"].tolist() == ["uk_gmpp_projects_2022.csv", "servicenow_incident_event_log_sample.csv"]
    assert batches["New"].tolist() == [235, 890] and batches["By"].tolist() == ["tester", "tester"]


def test_overview_refreshes_after_an_import(db_env: str, engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.info
    import_path(engine, GMPP, user="tester")
    at.run()
    assert not at.exception and "Work in progress" in metrics(at)


def test_app_routes_to_the_overview(db_env: str, engine) -> None:
    import_path(engine, GMPP, user="tester")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"


def test_cli_report_json_matches_the_page_figures(db_env: str, engine) -> None:
    load_sample(engine)
    out = subprocess.run([sys.executable, "-m", "core", "report", "--json"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, env={**__import__("os").environ})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"as_of", "period_days", "headline", "attention", "freshness"}
    expected = report_json(build_report(load_frames(engine), ReportOptions()))
    assert [(h["key"], h["value"], h["change"]) for h in data["headline"]] == [
        (h["key"], h["value"], h["change"]) for h in expected["headline"]]
    assert [a["reason"] for a in data["attention"]] == [a["reason"] for a in expected["attention"]]
