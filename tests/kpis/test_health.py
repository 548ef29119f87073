"""Status vs reality: each of the four causes, stale detection, and the sample scenario."""
from __future__ import annotations

import pandas as pd

from core.flow import analytics as flow
from core.kpis import health as H

T = pd.Timestamp
AS_OF = T("2026-03-01")


def timeline(**overrides: object) -> pd.DataFrame:
    row = {"id": 1, "external_key": "M-1", "title": "Milestone", "owner": "Tom", "team": "Infra", "status": "in_progress",
           "reported_rag": "green", "objective": None, "created_at": T("2026-01-01"), "started_at": pd.NaT,
           "due_at": T("2026-04-01"), "done_at": pd.NaT, "updated_at": T("2026-02-25"), "source": "s",
           "item_type": "milestone", "source_file": "plan.xlsx", "source_row": 5, "source_sheet": "Plan"}
    row.update(overrides)
    items = pd.DataFrame([row])
    for c in ("created_at", "started_at", "due_at", "done_at", "updated_at"):
        items[c] = pd.to_datetime(items[c])
    events = pd.DataFrame({"work_item_id": [1], "at": [T("2026-02-20")], "status": [row["status"]]})
    return flow.timeline(items, events), events


NO_OBJECTIVES = pd.DataFrame({"id": [], "code": []})
NO_KPIS = pd.DataFrame(columns=["objective_id", "code", "status", "worsening", "worsening_periods",
                                "latest_value", "target", "red_since", "latest_period"])


def causes(tl: pd.DataFrame, events: pd.DataFrame, objectives=NO_OBJECTIVES, kpis=NO_KPIS, p85=None) -> list[str]:
    found = H.green_but_red_items(tl, events, objectives, kpis, AS_OF, p85)
    return found["causes"].tolist()


def test_on_track_item_is_not_listed() -> None:
    tl, ev = timeline()
    assert causes(tl, ev) == []


def test_overdue_milestone() -> None:
    tl, ev = timeline(due_at="2026-02-10")
    found = H.green_but_red_items(tl, ev, NO_OBJECTIVES, NO_KPIS, AS_OF, None)
    assert found["causes"].tolist() == ["overdue by 19 days"] and found["gap_days"].tolist() == [19.0]
    assert found[["source_file", "source_row"]].values.tolist() == [["plan.xlsx", 5]]


def test_aging_beyond_the_85th_percentile() -> None:
    tl, ev = timeline()  # started 20 Feb (its first in-progress event): 9 days old on 1 March
    assert causes(tl, ev, p85=5.0) == ["aging 9 days (85th percentile 5.0)"]


def test_stale_reported_status() -> None:
    tl, ev = timeline(updated_at="2026-01-10")  # last change: the 20 Feb event → 9 days; stale after 7
    assert H.green_but_red_items(tl, ev, NO_OBJECTIVES, NO_KPIS, AS_OF, None, stale_days=7)["causes"].tolist() == [
        "not updated for 9 days"]
    stale = H.stale_items(tl, ev, AS_OF, stale_days=7)
    assert stale["days_since_update"].tolist() == [9.0]


def test_kpi_red_on_the_items_objective() -> None:
    tl, ev = timeline(objective="O3")
    objectives = pd.DataFrame({"id": [3], "code": ["O3"]})
    kpis = pd.DataFrame([{"objective_id": 3, "code": "K-MIG", "status": "red", "worsening": False,
                          "worsening_periods": 0, "latest_value": 48.0, "target": 20.0, "red_since": T("2026-02-01"),
                          "latest_period": T("2026-02-23")}])
    found = H.green_but_red_items(tl, ev, objectives, kpis, AS_OF, None)
    assert found["causes"].tolist() == ["objective O3: K-MIG is red (48 against target 20)"]
    assert found["gap_days"].tolist() == [28.0]


def test_objective_reported_green_with_worsening_kpi() -> None:
    objectives = pd.DataFrame({"id": [3], "code": ["O3"], "title": ["Migrate"], "owner": ["Tom"],
                               "reported_rag": ["green"]})
    kpis = pd.DataFrame([{"objective_id": 3, "code": "K-MIG", "status": "amber", "worsening": True,
                          "worsening_periods": 4, "latest_value": 23.0, "target": 20.0, "red_since": pd.NaT,
                          "latest_period": T("2026-02-23")}])
    found = H.green_but_red_objectives(objectives, kpis, AS_OF)
    assert found[["key", "causes", "gap_days"]].values.tolist() == [["O3", "K-MIG worsened 4 periods in a row",
                                                                     34.0]]


def test_every_cause_at_once_in_order_and_the_gap_from_the_earliest() -> None:
    tl, ev = timeline(due_at="2026-02-10", updated_at="2026-01-10", objective="O3")
    tl = pd.concat([tl, timeline(reported_rag="red")[0].assign(id=2, external_key="M-2")], ignore_index=True)
    objectives = pd.DataFrame({"id": [3], "code": ["O3"]})
    kpis = pd.DataFrame([{"objective_id": 3, "code": "K-MIG", "status": "red", "worsening": False,
                          "worsening_periods": 0, "latest_value": 48.0, "target": 20.0, "red_since": T("2026-02-01"),
                          "latest_period": T("2026-02-23")}])
    found = H.green_but_red_items(tl, ev, objectives, kpis, AS_OF, 5.0, stale_days=7)
    assert found["key"].tolist() == ["M-1"]  # reported red: not a gap
    assert found["causes"].iloc[0] == ("overdue by 19 days; aging 9 days (85th percentile 5.0); not updated for 9 "
                                       "days; objective O3: K-MIG is red (48 against target 20)")
    assert found["gap_since"].iloc[0] == T("2026-02-01") and found["gap_days"].iloc[0] == 28.0
