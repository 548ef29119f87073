"""Flow metrics on hand-built histories whose answers are worked out by hand in the comments."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from core.flow import analytics as flow
from core.flow.report import flow_report

T = pd.Timestamp


def items(rows: list[dict]) -> pd.DataFrame:
    base = {"source": "s", "title": "t", "item_type": "task", "raw_status": None, "reported_rag": None, "owner": None,
            "team": None, "objective": None, "created_at": pd.NaT, "started_at": pd.NaT, "due_at": pd.NaT,
            "done_at": pd.NaT, "updated_at": pd.NaT, "source_file": "f.csv", "source_sheet": None}
    df = pd.DataFrame([{**base, "source_row": r["id"] + 1, "external_key": f"K{r['id']}", **r} for r in rows])
    for c in ("created_at", "started_at", "due_at", "done_at", "updated_at"):
        df[c] = pd.to_datetime(df[c])
    return df


def events(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"work_item_id": i, "at": T(at), "status": s} for i, at, s in rows])


HISTORY = events([
    (1, "2026-01-05", "todo"), (1, "2026-01-07", "in_progress"), (1, "2026-01-12", "done"),        # 5 days
    (2, "2026-01-05", "in_progress"), (2, "2026-01-06", "in_progress"), (2, "2026-01-15", "done"),  # 10 days
    (3, "2026-01-06", "in_progress"), (3, "2026-01-08", "blocked"), (3, "2026-01-10", "in_progress"),
    (3, "2026-01-13", "done"), (3, "2026-01-14", "in_progress"), (3, "2026-01-16", "done"),  # reopened: 10 days
    (4, "2026-01-08", "in_progress"),                                                       # open, started 8th
    (5, "2026-01-09", "todo"),                                                              # not started
    (6, "2026-01-10", "blocked"),                                                           # open, blocked 10th
])
ITEMS = items([{"id": 1, "status": "done", "owner": "Ann", "team": "A"},
               {"id": 2, "status": "done", "owner": "Ann", "team": "A"},
               {"id": 3, "status": "done", "owner": "Bob", "team": "B"},
               {"id": 4, "status": "in_progress", "owner": "Ann", "team": "A", "due_at": "2026-01-16"},
               {"id": 5, "status": "todo", "owner": "Bob", "team": "B", "due_at": "2026-01-19"},
               {"id": 6, "status": "blocked", "owner": "Cy", "team": "C", "due_at": "2026-01-10"}])
AS_OF = T("2026-01-18")


def test_cycle_times_handle_repeats_and_reopen() -> None:
    tl = flow.timeline(ITEMS, HISTORY).set_index("id")
    assert tl.loc[[1, 2, 3], "cycle_days"].tolist() == [5.0, 10.0, 10.0]
    assert tl.loc[3, "finish"] == T("2026-01-16")  # the last arrival in done, after the reopen
    assert tl["is_wip"].tolist() == [False, False, False, True, False, True]


def test_percentiles_and_aging() -> None:
    tl = flow.timeline(ITEMS, HISTORY)
    p = flow.percentiles(tl["cycle_days"])
    # cycle times 5, 10, 10: median 10; 85th = 10 (linear between the 2nd and 3rd value, both 10)
    assert p == {0.5: 10.0, 0.85: 10.0, 0.95: 10.0}
    aging = flow.aging_wip(tl, AS_OF).set_index("external_key")
    assert aging["age_days"].to_dict() == {"K4": 10.0, "K6": 8.0}  # 8th → 18th, 10th → 18th
    assert aging["beyond_p85"].to_dict() == {"K4": False, "K6": False}


def test_weekly_cumulative_flow_counts() -> None:
    cfd = flow.cumulative_flow(HISTORY)
    # week ending Sun 11 Jan: 1 in progress (item 1), 2 in progress (item 2), 3 in progress (since 10th), 4 in
    # progress, 5 todo, 6 blocked  → todo 1, in_progress 4, blocked 1, done 0
    assert cfd.loc[T("2026-01-11")].to_dict() == {"todo": 1, "in_progress": 4, "blocked": 1, "done": 0}
    # week ending Sun 18 Jan: 1, 2, 3 done; 4 in progress; 5 todo; 6 blocked
    assert cfd.loc[T("2026-01-18")].to_dict() == {"todo": 1, "in_progress": 1, "blocked": 1, "done": 3}


def test_widening_band_sentence() -> None:
    cfd = pd.DataFrame({"todo": [3, 3, 3], "in_progress": [5, 6, 7], "blocked": [2, 2, 2], "done": [0, 1, 2]},
                       index=pd.date_range("2026-01-04", periods=3, freq="W-SUN"))
    assert flow.widening_band(cfd, weeks=2) == "'in progress' grew 40% in 2 weeks (5 → 7 items)."


def test_throughput_per_week() -> None:
    tp = flow.throughput(flow.timeline(ITEMS, HISTORY))
    assert tp.set_index("week")["done"].to_dict() == {T("2026-01-18"): 3}  # 12th, 15th, 16th: one week


def test_owner_load_littles_law_and_stalled_owner() -> None:
    load = flow.owner_load(flow.timeline(ITEMS, HISTORY), AS_OF, weeks=2).set_index("owner")
    # Ann: WIP 1 (item 4), 2 done in the last 2 weeks → 1/week → 1 week to clear. Cy: WIP 1, nothing done.
    assert load.loc["Ann", ["wip", "done_recently", "throughput_per_week", "weeks_to_clear"]].tolist() == [1, 2, 1.0,
                                                                                                          1.0]
    assert bool(load.loc["Cy", "stalled"]) and math.isinf(load.loc["Cy", "weeks_to_clear"])
    assert "Bob" not in load.index  # no WIP


def test_overdue_days_late() -> None:
    late = flow.overdue(flow.timeline(ITEMS, HISTORY), AS_OF)
    assert late[["external_key", "days_late"]].values.tolist() == [["K6", 8.0], ["K4", 2.0]]


def test_waits_chain_and_team_ranking() -> None:
    deps = pd.DataFrame({"work_item_id": [4, 5, 5], "depends_on_item_id": [6, 4, 6], "depends_on_key": ["K6", "K4", "K6"],
                         "depends_on_team_id": [None] * 3})
    tl = flow.timeline(ITEMS, HISTORY)
    waits = flow.dependency_waits(tl, deps, HISTORY, AS_OF)
    # K4 (team A, started 8th) waits on K6 (team C): 10 days; K5 (B, never started, first seen 9th) waits on K4 and
    # K6: 9 days each
    assert waits[["down_external_key", "up_external_key", "days_waiting"]].values.tolist() == [
        ["K4", "K6", 10.0], ["K5", "K4", 9.0], ["K5", "K6", 9.0]]
    assert waits["upstream_overdue"].tolist() == [True, True, True]  # K6 due 10th, K4 due 16th
    ranking = flow.team_waits(waits)
    assert ranking[["waited_on_team", "items_waiting", "total_days"]].values.tolist() == [["C", 2, 19.0],
                                                                                        ["A", 1, 9.0]]
    assert flow.longest_chain(tl, deps) == ["K6", "K4", "K5"]


def test_selected_values_from_a_chart_event() -> None:
    event = {"selection": {"points": [{"customdata": 4}, {"customdata": [6]}, {"x": 1}]}}
    assert flow.selected_values(event) == [4, 6]
    assert flow.selected_values(None) == []


@pytest.mark.parametrize("freq", ["W-SUN"])
def test_filters_and_report(freq: str) -> None:
    deps = pd.DataFrame(columns=["work_item_id", "depends_on_item_id", "depends_on_key", "depends_on_team_id"])
    report = flow_report(ITEMS, HISTORY, deps, teams=["A"], as_of=AS_OF)
    assert set(report["timeline"]["team"]) == {"A"}
    assert report["aging"]["external_key"].tolist() == ["K4"]


def test_blocked_items_with_nothing_to_wait_on() -> None:
    tl = flow.timeline(ITEMS, HISTORY)
    no_deps = pd.DataFrame(columns=["work_item_id", "depends_on_item_id", "depends_on_key", "depends_on_team_id"])
    waits = flow.dependency_waits(tl, no_deps, HISTORY, AS_OF)
    alone = flow.blocked_without_dependency(tl, HISTORY, waits, AS_OF)
    assert alone[["external_key", "days_blocked"]].values.tolist() == [["K6", 8.0]]  # blocked since the 10th


def test_items_in_a_flow_band_at_a_week_end() -> None:
    assert flow.items_in_status_at(HISTORY, T("2026-01-11 23:59:59"), "in_progress") == [1, 2, 3, 4]
    assert flow.items_in_status_at(HISTORY, T("2026-01-11 23:59:59"), "blocked") == [6]


def test_team_load_and_period_window() -> None:
    load = flow.owner_load(flow.timeline(ITEMS, HISTORY), AS_OF, weeks=2, by="team").set_index("team")
    assert load.loc["A", ["wip", "done_recently"]].tolist() == [1, 2] and bool(load.loc["C", "stalled"])
    deps = pd.DataFrame(columns=["work_item_id", "depends_on_item_id", "depends_on_key", "depends_on_team_id"])
    report = flow_report(ITEMS, HISTORY, deps, as_of=AS_OF, period=(T("2026-01-14"), T("2026-01-18")))
    assert report["finished"]["external_key"].tolist() == ["K2", "K3"]  # finished 15th and 16th; K1 on the 12th


def test_waiting_on_a_whole_team() -> None:
    deps = pd.DataFrame({"work_item_id": [4], "depends_on_item_id": [None], "depends_on_key": ["Facilities"],
                         "depends_on_team_id": [9], "depends_on_team": ["Facilities"]})
    waits = flow.dependency_waits(flow.timeline(ITEMS, HISTORY), deps, HISTORY, AS_OF)
    assert waits[["down_external_key", "up_team", "days_waiting", "cross_team"]].values.tolist() == [
        ["K4", "Facilities", 10.0, True]]
    assert flow.team_waits(waits)["waited_on_team"].tolist() == ["Facilities"]
