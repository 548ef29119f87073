"""Headline trends: each series ends on its headline figure, follows the report's own rules a period back, and is
cheap (no report rebuilt per period)."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from core.reporting.report import ReportOptions, build_report, load_frames
from core.reporting.trends import alignment_trends, flow_trends, headline_trends, kpi_trends, period_ends
from core.sample import load_sample

WITH_SERIES = {"wip", "throughput", "median_cycle_days", "kpi_green", "kpi_amber", "kpi_red", "kpi_grey",
               "open_signals", "linked_share", "hidden_ratio"}
WITHOUT = {"aging_past_p85", "top_wait_days", "conflicts", "green_but_red"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    from core.store.db import make_engine, upgrade_schema

    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('trends') / 'sample.db'}")
    upgrade_schema(eng)
    load_sample(eng)
    frames = load_frames(eng)
    yield frames, build_report(frames, ReportOptions())
    eng.dispose()


def test_every_series_ends_on_its_headline_figure(sample) -> None:
    _frames, report = sample
    trends = report["trends"]
    assert set(trends) == WITH_SERIES and not WITHOUT & set(trends)
    ends = period_ends(report["as_of"], report["period_days"])
    for key, series in trends.items():
        assert len(series) == 12 and list(series.index) == ends, key
        assert series.iloc[-1] == pytest.approx(report["figures"][key]), key


def test_a_period_back_follows_the_reports_own_rules(sample) -> None:
    """The second-last point uses the same cutoff as the headline's change, so it equals the previous figure."""
    _frames, report = sample
    for key in WITH_SERIES - {"wip"}:
        assert report["trends"][key].iloc[-2] == pytest.approx(report["previous"][key]), key
    # WIP a period back comes from the timeline's start and finish, not each item's status replayed: close
    assert abs(report["trends"]["wip"].iloc[-2] - report["previous"]["wip"]) <= 0.1 * report["previous"]["wip"] + 1


def test_the_report_carries_the_modules_series(sample) -> None:
    frames, report = sample
    again = headline_trends(report["views"], frames, report["period_days"])
    assert set(again) == set(report["trends"])
    for key, series in again.items():
        pd.testing.assert_series_equal(series, report["trends"][key])


def test_no_dated_data_no_trends() -> None:
    views = {"flow": None, "kpi": {"status": pd.DataFrame()}, "alignment": None}
    frames = {"readings": pd.DataFrame({"kpi_id": [], "period": pd.Series(dtype="datetime64[us]"), "value": []}),
              "signals": pd.DataFrame(), "events": pd.DataFrame()}
    assert headline_trends(views, frames, 28) == {}


def test_kpi_bands_from_the_latest_reading_by_each_cutoff() -> None:
    status = pd.DataFrame({"id": [1, 2], "target": [10.0, 5.0], "tolerance": [1.0, None],
                           "direction": ["higher", "lower"]})
    day = pd.Timestamp("2024-01-01")
    readings = pd.DataFrame({"kpi_id": [1, 1, 2], "value": [9.5, 12.0, 4.0],
                             "period": [day, day + pd.Timedelta(days=28), day - pd.Timedelta(days=60)]})
    counts = kpi_trends(status, readings, [day, None])
    # at the first cutoff KPI 1 is amber (9.5 within 1 of 10) and KPI 2's reading is over 4 weeks old: grey
    assert [counts[f"kpi_{b}"][0] for b in ("green", "amber", "red", "grey")] == [0, 1, 0, 1]
    assert [counts[f"kpi_{b}"][1] for b in ("green", "amber", "red", "grey")] == [1, 0, 0, 1]


def test_alignment_counts_the_items_that_existed_and_were_open_then() -> None:
    day = pd.Timestamp("2024-03-01")
    items = pd.DataFrame({"id": [1, 2, 3], "objective_id": [7.0, None, 7.0], "status": ["done", "todo", "todo"],
                          "created_at": [day - pd.Timedelta(days=90), day - pd.Timedelta(days=90), day],
                          "done_at": [day - pd.Timedelta(days=10), pd.NaT, pd.NaT]})
    out = alignment_trends(items, pd.DataFrame(), None, [day - pd.Timedelta(days=30), None])
    assert out["linked_share"] == [0.5, 0.5]  # then: 1 (linked) and 2 open; now: 2 and 3 open
    assert out["hidden_ratio"] == [0.5, pytest.approx(1 / 3)]


def test_flow_series_are_cheap_at_120k_items(sample) -> None:
    _frames, report = sample
    flow = report["views"]["flow"]
    tl = flow["timeline"]
    copies = -(-120_000 // len(tl))
    big = pd.concat([tl.assign(id=tl["id"] + i * 1_000_000) for i in range(copies)], ignore_index=True)
    cuts = [*period_ends(report["as_of"], 28)[:-1], None]
    started = time.perf_counter()
    out = flow_trends({**flow, "timeline": big}, cuts)
    assert time.perf_counter() - started < 5  # one numpy pass per period, not a flow report per period
    assert out["wip"][-1] == report["figures"]["wip"] * copies
