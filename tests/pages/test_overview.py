"""Overview under AppTest: first run, the sample scenario, the ServiceNow export alone; counts on the history page."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.importing.service import import_path
from core.reporting.chart_parts import plain_number
from core.reporting.report import (
    ReportOptions,
    build_report,
    format_change,
    format_value,
    load_frames,
    report_json,
)
from core.sample import load_sample
from core.text import inert
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
    attention = next(d.value for d in at.dataframe if "Why" in d.value)
    assert attention["Why"].tolist() == [a["reason"] for a in data["attention"]]
    assert attention["Owner"].tolist() == [a["owner"] for a in data["attention"]]
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


def plotly_specs(at: AppTest) -> dict[str, dict]:
    """Every plotly chart on the page by its widget key's tail (AppTest sees them as unknown elements)."""
    found: dict[str, dict] = {}

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if proto is not None and type(proto).__name__ == "PlotlyChart":
            found[proto.id.rsplit("-", 1)[-1] if proto.id else str(len(found))] = json.loads(proto.spec)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def test_strategy_picture_and_trend_lines_on_the_sample(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    specs = list(plotly_specs(at).values())
    trees = [s for s in specs if s["data"] and s["data"][0]["type"] == "treemap"]
    assert len(trees) == 1 and "O1" in trees[0]["data"][0]["customdata"]
    report = build_report(load_frames(engine))
    lines = [s for s in specs if s["data"] and s["data"][0]["type"] == "scatter"]
    # one trend line per figure with a series (none for the others), in the page's order, each ending on its figure
    shown = [row["key"] for row in report["headline"] if row["key"] in report["trends"]]
    assert len(lines) == len(shown) == 10
    assert [s["data"][-1]["hovertext"][0] for s in lines] == [plain_number(report["figures"][k]) for k in shown]
    assert any("Click an objective" in c.value for c in at.caption)


def test_a_click_on_an_objective_shows_its_card(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    report = build_report(load_frames(engine))
    objectives = report["views"]["kpi"]["objectives"]
    code = str(objectives.loc[objectives["measured_status"] == "red", "code"].iloc[0])
    at.session_state["strategy"] = {"selection": {"points": [{"id": code, "label": code}]}}
    at.run()
    assert not at.exception
    o = objectives[objectives["code"] == code].iloc[0]
    text = " ".join(m.value for m in at.markdown)
    assert f"{code} · " in text and "Beyond tolerance" in text and "open item(s) linked" in text
    kpis = report["views"]["kpi"]["status"]
    for k in kpis[kpis["objective_id"] == o["id"]].itertuples():
        assert f"{inert(k.code)} · {inert(k.name)}: " in text  # as written, made inert
    items = report["views"]["alignment"]["items"]
    open_linked = int(((items["objective"] == code) & items["status"].ne("done") & items["done_at"].isna()).sum())
    assert f"**{open_linked:,}** open item(s) linked" in text
    assert {"Open alignment", "Open KPI conflicts", "Open strategy"} <= {c.value for c in at.caption}


def test_no_strategy_replaces_the_picture_with_one_line(db_env: str, engine) -> None:
    import_path(engine, SERVICENOW, user="tester")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert not [s for s in plotly_specs(at).values() if s["data"] and s["data"][0]["type"] == "treemap"]
    assert sum("No strategy is loaded" in i.value for i in at.info) == 1  # said once, where the picture would be
