"""Chart builders a wild value cannot wreck, on real exports and on hand-built frames with wild values.

Every axis range a builder sets is finite and plausible (never a log axis, never 10^273); a point beyond the range is
drawn at its edge and counted in the chart's note; values that cannot be drawn (inf, NaN, negative durations) are
left out and counted. KPI small multiples draw the target and the tolerance band they promise; treemaps keep every
box readable; the strategy picture carries each objective's code for the click that opens it.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sqlalchemy.engine import Engine

from core.importing.service import import_path
from core.kpis.analytics import band
from core.reporting import chart_parts as ax
from core.reporting import charts, kpi_charts
from core.reporting.report import build_report, load_frames
from core.sample import load_sample
from core.store.db import make_engine, upgrade_schema
from tests.conftest import REALDATA

WILD = [1.0, 2.0, 1e300, float("inf"), float("nan"), -3.0, 5.0, 4.0]  # 1 beyond, 3 not drawn (inf, NaN, negative)
N = len(WILD)


# --------------------------------------------------------------------------- helpers
def axis_ranges(fig: go.Figure) -> dict[str, list[float]]:
    layout = fig.to_plotly_json()["layout"]
    return {k: v["range"] for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k) and v.get("range")}


def assert_sane_axes(fig: go.Figure, axes: tuple[str, ...], top: float = ax.DURATION_CAP_DAYS * 1.1) -> None:
    layout = fig.to_plotly_json()["layout"]
    ranges = axis_ranges(fig)
    for name in axes:
        assert name in ranges, f"{name} has no range of its own: {layout.get(name)}"
        low, high = ranges[name]
        assert math.isfinite(low) and math.isfinite(high) and low < high, ranges
        assert abs(low) <= top and abs(high) <= top, ranges
        assert layout[name].get("type", "linear") == "linear"
    for name, (low, high) in ranges.items():
        assert math.isfinite(low) and math.isfinite(high), (name, low, high)


def notes(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.name == ax.NOTE_NAME]


def drawn_values(fig: go.Figure, attr: str = "y") -> list[float]:
    out = []
    for trace in fig.data:
        values = getattr(trace, attr)
        out += [float(v) for v in ([] if values is None else list(values)) if v is not None and not isinstance(v, str)]
    return out


def engine_with(tmp_path_factory: pytest.TempPathFactory, *files: str, sample: bool = False) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('charts') / 'charts.db'}")
    upgrade_schema(eng)
    if sample:
        load_sample(eng)
    for name in files:
        import_path(eng, REALDATA / name, user="tester")
    return eng


@pytest.fixture(scope="module")
def jira_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small real Jira export: ages from 17 minutes to 10 days (the old log axis ticked "10m")."""
    eng = engine_with(tmp_path_factory, "jira_cloud_en_planeso.csv")
    yield build_report(load_frames(eng))
    eng.dispose()


@pytest.fixture(scope="module")
def barometer(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """The French government barometer: 57 KPIs with targets, 43 objectives."""
    eng = engine_with(tmp_path_factory, "fr_barometre_kpis_national.csv")
    frames = load_frames(eng)
    yield build_report(frames), frames
    eng.dispose()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """The sample scenario: pillars → objectives → key results, KPIs with tolerances, linked work."""
    eng = engine_with(tmp_path_factory, sample=True)
    frames = load_frames(eng)
    yield build_report(frames), frames
    eng.dispose()


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The real helpdesk event log: thousands of finished cases, more than a scatter draws."""
    eng = engine_with(tmp_path_factory, "eventlog_helpdesk.csv")
    yield build_report(load_frames(eng))
    eng.dispose()


# --------------------------------------------------------------------------- 1. axes a wild value cannot wreck
def test_the_shared_scale_clips_counts_and_stays_finite() -> None:
    sc = ax.scale(WILD)
    assert sc.dropped == 3 and sc.n_beyond == 1
    assert all(map(math.isfinite, sc.range)) and sc.range[1] < 10
    assert sc.plotted.max() == sc.high == 5.0  # the 1e300 point sits at the edge
    assert ax.note_text(sc) == ("1 point(s) beyond 5 days not to scale (drawn at the edge ▲); 3 point(s) without a "
                                "usable value (infinite, missing or negative) not drawn")
    assert ax.scale([]).range == (-0.03, 1.06) and ax.scale([0.0, 0.0]).range[1] > 0
    many = ax.scale(list(np.linspace(1, 100, 500)) + [1e245] * 3)  # the 99th percentile × 1.2 holds the long tail
    assert many.n_beyond == 3 and many.high <= 120
    huge = ax.scale([1e6] * 10 + [1.0])  # beyond the ten-year cap: drawn at the edge, never the whole axis
    assert huge.high == 1.0 and huge.n_beyond == 10
    both = ax.scale([-5.0, 3.0, -1e300, 1e300, float("nan")], floor=None, cap=None)
    assert both.dropped == 1 and both.n_beyond == 2 and all(map(math.isfinite, both.range))


def aging_frame(ages: list[float]) -> pd.DataFrame:
    statuses = ["in_progress", "blocked", "todo"]
    return pd.DataFrame({"status": [statuses[i % 3] for i in range(len(ages))], "age_days": ages,
                         "id": range(len(ages)), "external_key": [f"K-{i}" for i in range(len(ages))],
                         "title": ["an item"] * len(ages)})


def test_aging_wip_with_wild_ages_keeps_a_plausible_linear_axis() -> None:
    aging = aging_frame(WILD)
    before = aging.copy()
    fig = charts.aging_wip_chart(aging, {0.5: 2.0, 0.85: 1e245, 0.95: float("inf")})
    pd.testing.assert_frame_equal(aging, before)  # no mutation
    assert_sane_axes(fig, ("yaxis",))
    low, high = axis_ranges(fig)["yaxis"]
    assert high < 10 and all(low <= y <= high for y in drawn_values(fig))
    assert sum(len(t.y) for t in fig.data) == N - 3  # inf, NaN and the negative age are not drawn
    edge = [s for t in fig.data for s in t.marker.symbol if s == ax.EDGE_SYMBOL]
    assert len(edge) == 1
    (note,) = notes(fig)
    assert note.startswith("1 point(s) beyond 5 days not to scale") and "3 point(s) without a usable value" in note
    assert "85th percentile" in note  # the wild percentile is named, not drawn
    assert [s.y0 for s in fig.layout.shapes] == [2.0]
    assert fig.layout.yaxis.title.text == "Age (days)"
    assert {t.name for t in fig.data} == {"In progress", "Blocked", "To do"}
    hover = [h for t in fig.data for h in t.hovertext]
    assert "1e+300 days (not to scale)" in hover and "2 days" in hover  # the true age, in words


def test_cycle_time_with_wild_values_keeps_a_plausible_linear_axis() -> None:
    done = pd.DataFrame({"finish": pd.date_range("2026-01-01", periods=N), "cycle_days": WILD, "id": range(N),
                         "external_key": [f"K-{i}" for i in range(N)]})
    fig = charts.cycle_time_chart(done, {0.5: 3.0, 0.85: 1e245})
    assert_sane_axes(fig, ("yaxis",))
    assert len(fig.data[0].y) == N - 3 and max(fig.data[0].y) <= axis_ranges(fig)["yaxis"][1]
    assert notes(fig) and notes(fig)[0].startswith("1 point(s) beyond")
    assert fig.layout.yaxis.title.text == "Cycle time (days)"


def test_bar_charts_of_days_and_load_stay_plausible() -> None:
    teams = [f"team {i}" for i in range(N)]
    waits = charts.team_wait_chart(pd.DataFrame({"waited_on_team": teams, "total_days": WILD,
                                                 "items_waiting": [1] * N}))
    assert_sane_axes(waits, ("xaxis",))
    assert axis_ranges(waits)["xaxis"][0] == 0 and "1 team(s) beyond" in notes(waits)[0]
    assert list(waits.data[0].marker.pattern.shape).count("/") == 1  # the bar at the edge is hatched

    load = pd.DataFrame({"owner": teams, "wip": range(1, N + 1), "stalled": [True] + [False] * (N - 1),
                         "weeks_to_clear": [np.inf, 1.0, 1e300, np.nan, 2.0, 3.0, 4.0, 5.0]})
    fig = charts.owner_load_chart(load)
    assert_sane_axes(fig, ("xaxis",))
    text = " ".join(fig.data[0].hovertext)
    assert "inf" not in text and "e+300" not in text and "over 10 years to clear" in text
    assert "no recent throughput" in text

    late = pd.DataFrame({"team": ["a", "a", "b", "b", "c", "c", "d", "d"], "days_late": WILD})
    fig = charts.overdue_chart(late)
    assert_sane_axes(fig, ("xaxis",), top=ax.DURATION_CAP_DAYS * 2 * 1.1)
    assert "1 item(s) over 3,650 days late counted as 3,650" in notes(fig)[0]
    assert "3 item(s) without a usable number of days late not counted" in notes(fig)[0]


def test_control_chart_and_sparkline_with_wild_readings() -> None:
    periods = pd.Series(pd.date_range("2026-01-04", periods=N, freq="W"))
    values = pd.Series(WILD)
    signals = pd.DataFrame({"period": [periods[2]], "value": [1e300], "rule": ["outside limits"]})
    fig = kpi_charts.control_chart(periods, values, {"ucl": 6.0, "mean": 3.0, "lcl": -1e300}, signals, "K · test")
    assert_sane_axes(fig, ("yaxis",))
    low, high = axis_ranges(fig)["yaxis"]
    assert high < 10 and low > -10 and all(low <= y <= high for y in drawn_values(fig))
    assert "lower limit" in notes(fig)[0]

    spark = charts.sparkline(pd.Series(WILD * 2, index=pd.date_range("2026-01-04", periods=2 * N, freq="W")))
    assert_sane_axes(spark, ("yaxis",))
    assert spark.layout.height <= 80 and spark.layout.xaxis.visible is False and spark.layout.yaxis.visible is False
    line, last = spark.data
    assert len(line.y) <= 12 and list(last.y) == [line.y[-1]] and len(last.x) == 1
    assert all(math.isfinite(v) for v in line.y)
    assert axis_ranges(charts.sparkline(pd.Series([], dtype=float)))["yaxis"]  # empty: still a finite range


def test_small_real_ages_get_a_linear_axis_without_sub_unit_ticks(jira_report: dict) -> None:
    flow = jira_report["views"]["flow"]
    aging = flow["aging"]
    assert len(aging) and aging["age_days"].max() / aging["age_days"].min() > 100  # the old log axis's case
    fig = charts.aging_wip_chart(aging, flow["percentiles"])
    assert_sane_axes(fig, ("yaxis",))
    assert fig.layout.yaxis.exponentformat == "none"
    low, high = axis_ranges(fig)["yaxis"]
    assert high <= aging["age_days"].max() * 1.2 and all(low <= y <= high for y in drawn_values(fig))
    assert not notes(fig)  # nothing clipped on plausible data
    for chart, axis in ((charts.cycle_time_chart(flow["finished"], flow["percentiles"]), "yaxis"),
                        (charts.owner_load_chart(flow["owner_load"]), "xaxis"),
                        (charts.overdue_chart(flow["overdue"]), "xaxis")):
        assert_sane_axes(chart, (axis,))


# --------------------------------------------------------------------------- 2. KPI small multiples
def kpi_shapes(fig: go.Figure) -> dict[str, list]:
    """Shapes per subplot y axis ('y', 'y2', …): hrect and hline name themselves."""
    out: dict[str, list] = {}
    for s in fig.layout.shapes:
        out.setdefault(s.yref, []).append(s)
    return out


def test_kpi_small_multiples_draw_target_and_tolerance_band(sample: tuple[dict, dict]) -> None:
    report, frames = sample
    status = report["views"]["kpi"]["status"]
    fig = kpi_charts.kpi_small_multiples(status, frames["readings"])
    shapes = kpi_shapes(fig)
    for i, k in enumerate(status.itertuples()):
        axis = "y" if i == 0 else f"y{i + 1}"
        mine = shapes.get(axis, [])
        targets = [s for s in mine if s.name == "target"]
        bands = [s for s in mine if s.name == "tolerance"]
        assert len(targets) == 1 and targets[0].line.dash == "dash" and targets[0].y0 == k.target, k.code
        assert len(bands) == 1, k.code
        low, high = sorted((bands[0].y0, bands[0].y1))
        inside = (low + high) / 2  # the band is where core.kpis.analytics.band says amber
        assert band(inside, k.target, k.tolerance, k.direction) == "amber", k.code
        assert band(k.target - (k.tolerance + 1) * charts_sign(k.direction), k.target, k.tolerance,
                    k.direction) == "red"
    assert_sane_axes(fig, tuple("yaxis" if i == 0 else f"yaxis{i + 1}" for i in range(len(status))),
                     top=1e6)
    title_top = fig.layout.margin.t
    assert title_top >= 80 and fig.layout.title.yref == "container"  # room between title and subplot titles
    assert all("_" not in a.text for a in fig.layout.annotations)  # status through its label
    assert {"Target", "Tolerance band"} <= {t.name for t in fig.data}


def charts_sign(direction: object) -> int:
    return -1 if str(direction).startswith("lower") else 1


def test_kpi_small_multiples_on_real_targets_and_wild_readings(barometer: tuple[dict, dict]) -> None:
    report, frames = barometer
    status = report["views"]["kpi"]["status"].head(9)
    fig = kpi_charts.kpi_small_multiples(status, frames["readings"])
    shapes = kpi_shapes(fig)
    with_target = [i for i, t in enumerate(status["target"]) if pd.notna(t)]
    assert with_target
    for i in with_target:
        axis = "y" if i == 0 else f"y{i + 1}"
        assert [s.name for s in shapes.get(axis, [])].count("target") == 1
    wild = pd.DataFrame({"id": [1, 2], "code": ["A", "B"], "status": ["red", "amber"], "target": [10.0, 5.0],
                         "tolerance": [2.0, 1.0], "direction": ["higher", "lower is better"]})
    readings = pd.DataFrame({"kpi_id": [1, 1, 1, 2, 2], "value": [7.0, 1e300, 8.0, 5.5, np.inf],
                             "period": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"] * 1
                                                      + ["2026-01-01", "2026-02-01"])})
    fig = kpi_charts.kpi_small_multiples(wild, readings)
    assert_sane_axes(fig, ("yaxis", "yaxis2"), top=100)
    bands = {s.yref: sorted((s.y0, s.y1)) for s in fig.layout.shapes if s.name == "tolerance"}
    assert bands == {"y": [8.0, 10.0], "y2": [5.0, 6.0]}  # the bad side: below for higher, above for lower
    assert len(notes(fig)) == 2


# --------------------------------------------------------------------------- 3. a readable treemap
def test_objective_treemap_gives_every_box_a_readable_minimum() -> None:
    per = pd.DataFrame({"pillar": ["P1 Big"] * 3 + ["P2 Small"], "objective": ["O1 a", "O1 a", "O2 b", "O3 c"],
                        "team": ["Desk", "Ops", "Desk", "Desk"], "items": [500, 300, 100, 1],
                        "open_items": [1] * 4, "effort": [0.0] * 4})
    tree = charts.objective_treemap(per).data[0]
    values = dict(zip(tree.ids, tree.values))
    total = values["P1 Big"] + values["P2 Small"]
    leaves = [i for i in tree.ids if i.count(" / ") == 2]
    assert min(values[i] for i in leaves) >= ax.MIN_SHARE * total * 0.999
    assert dict(zip(tree.ids, tree.text))["P2 Small / O3 c / Desk"] == "1 items"  # the true count in the label
    for node, parent in zip(tree.ids, tree.parents):  # branchvalues="total" stays consistent
        if parent:
            assert values[parent] >= values[node]

    many = pd.DataFrame({"pillar": "P", "objective": [f"O{i}" for i in range(60)], "team": "T",
                         "items": range(1, 61), "open_items": 1, "effort": 0.0})
    bars = charts.objective_treemap(many).data[0]
    assert isinstance(bars, go.Bar) and bars.orientation == "h" and len(bars.y) == 60
    assert bars.customdata[-1] == "P / O59"  # a click still names its pillar / objective


def test_real_objective_treemap_has_no_box_below_the_minimum(sample: tuple[dict, dict]) -> None:
    per = sample[0]["views"]["alignment"]["per_objective"]
    tree = charts.objective_treemap(per).data[0]
    values = dict(zip(tree.ids, tree.values))
    total = sum(v for i, v in values.items() if " / " not in i)
    assert min(values.values()) >= ax.MIN_SHARE * total * 0.999


# --------------------------------------------------------------------------- 4. the strategy picture
def test_strategy_picture_of_the_sample(sample: tuple[dict, dict]) -> None:
    report, frames = sample
    objectives = report["views"]["kpi"]["objectives"]
    items = frames["alignment_items"]
    fig = charts.strategy_picture(objectives, items)
    tree = fig.data[0]
    assert isinstance(tree, go.Treemap)
    assert list(tree.customdata) == objectives["code"].tolist() == list(tree.ids)
    parents = dict(zip(tree.ids, tree.parents))
    assert parents["O1"] == "P1" and parents["KR1"] == "O1" and parents["P1"] == ""
    colours = dict(zip(tree.ids, tree.marker.colors))
    for code, status in zip(objectives["code"], objectives["measured_status"]):
        assert colours[code] == charts.RAG_COLOURS[status]
    assert all(label.startswith(f"{code} · ") and len(label) <= len(code) + 3 + 28
               for code, label in zip(tree.ids, tree.labels))
    legend = [a.text for a in fig.layout.annotations]
    assert any("Beyond tolerance" in t for t in legend) and any("No recent reading" in t for t in legend)
    values = dict(zip(tree.ids, tree.values))
    leaves = [c for c in tree.ids if c not in set(tree.parents)]
    assert min(values[c] for c in leaves) >= ax.MIN_SHARE * sum(values.values()) * 0.999
    linked = items[items["objective"].notna() & items["status"].ne("done") & items["done_at"].isna()]
    counts = linked["objective"].value_counts()
    busiest = counts.index[0]
    assert values[busiest] == counts.iloc[0]  # sized by the open work linked
    assert f"{counts.iloc[0]:,} open item(s) linked" in dict(zip(tree.ids, tree.hovertext))[busiest]
    click = {"selection": {"points": [{"id": tree.ids[4], "parent": tree.parents[4], "label": tree.labels[4]}]}}
    assert charts.selected_values(click) == [objectives["code"].iloc[4]]  # Streamlit's treemap click: the box id


def test_strategy_picture_of_real_objectives_and_hostile_ones(barometer: tuple[dict, dict]) -> None:
    objectives = barometer[0]["views"]["kpi"]["objectives"]
    fig = charts.strategy_picture(objectives)
    tree = fig.data[0]
    assert list(tree.customdata) == objectives["code"].tolist()
    assert all(len(label) <= 70 for label in tree.labels)  # long slugs trimmed
    hostile = pd.DataFrame({"code": ["A<b>", "B", "C"], "title": ["<a href='x'>t</a>", "b", "c"],
                            "parent": [None, "C", "B"], "measured_status": ["red", None, "weird"]})
    fig = charts.strategy_picture(hostile, pd.DataFrame({"objective": ["B"], "status": ["todo"],
                                                         "done_at": [pd.NaT]}))
    tree = fig.data[0]
    assert list(tree.customdata) == ["A&lt;b&gt;", "B", "C"]
    assert charts.selected_values({"selection": {"points": [{"customdata": tree.customdata[0]}]}}) == ["A<b>"]
    assert "" in tree.parents  # a circle of parents is cut: the tree has a root
    assert "<a " not in fig.to_json()
    empty = charts.strategy_picture(objectives.iloc[0:0])
    assert not empty.data and empty.layout.annotations


def test_old_signatures_still_work() -> None:
    status = pd.DataFrame({"id": [1], "code": ["K"], "status": ["green"], "target": [None], "tolerance": [None],
                           "direction": ["higher"]})
    readings = pd.DataFrame({"kpi_id": [1], "period": [pd.Timestamp("2026-01-01")], "value": [1.0]})
    assert kpi_charts.kpi_small_multiples(status, readings, 3).data
    assert charts.owner_load_chart(pd.DataFrame({"team": ["a"], "wip": [1], "stalled": [False],
                                                 "weeks_to_clear": [1.0]}), 20, "team").data
    assert charts.objective_treemap(pd.DataFrame(columns=["pillar", "objective", "team", "items", "effort"]),
                                    "effort").data



def test_a_scatter_of_thousands_of_real_cases_draws_the_slowest_and_a_sample_and_says_so(helpdesk: dict) -> None:
    """Plotly spent seconds validating 100,000 markers: the cycle-time chart draws MAX_POINTS, always including
    the slowest half of them, over an axis and percentiles of every finished case, and its note says so."""
    flow = helpdesk["views"]["flow"]
    done, pcts = flow["finished"], flow["percentiles"]
    finite = done[np.isfinite(done["cycle_days"]) & (done["cycle_days"] >= 0)]
    assert len(finite) > ax.MAX_POINTS  # the real file has more cases than a chart draws
    fig = charts.cycle_time_chart(done, pcts)
    drawn = list(fig.data[0].customdata)
    assert len(drawn) == ax.MAX_POINTS and len(set(drawn)) == ax.MAX_POINTS
    slowest = finite.nlargest(ax.MAX_POINTS // 2, "cycle_days")["id"]
    assert set(slowest) <= set(drawn)
    (note,) = notes(fig)
    assert f"{ax.MAX_POINTS:,} of {len(finite):,} finished items drawn" in note
    assert charts.cycle_time_chart(done, pcts).data[0].customdata.tolist() == drawn  # the same sample every run
    assert_sane_axes(fig, ("yaxis",))
    assert axis_ranges(fig)["yaxis"][1] >= max(v for v in pcts.values() if v < axis_ranges(fig)["yaxis"][1])


def test_thinning_keeps_small_frames_whole_and_never_mutates() -> None:
    rows = pd.DataFrame({"v": np.arange(30.0)})
    kept, note = ax.thinned(rows, "v", limit=50)
    assert note is None and kept.equals(rows) and kept is not rows
    before = rows.copy()
    kept, note = ax.thinned(rows, "v", "items", limit=10)
    pd.testing.assert_frame_equal(rows, before)
    assert len(kept) == 10 and set(range(25, 30)) <= set(kept["v"].astype(int)) and note.startswith("10 of 30 items")
