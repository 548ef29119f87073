"""Flow per workflow: each source (or source × type) has its own percentiles, its own "as of", its own window.

Hand-built histories whose answers are worked out in the comments, then the real ServiceNow log beside a
hand-kept plan, where one 85th percentile over both would call every milestone "aging".
"""
from __future__ import annotations

import pandas as pd
import pytest

from core.flow import analytics as flow
from core.flow import queries as flow_queries
from core.flow.report import flow_report
from core.flow.workflows import workflow_of
from core.importing.service import import_path
from tests.conftest import SERVICENOW
from tests.flow.test_flow import events, items

T = pd.Timestamp
DESK = [{"id": i, "source": "desk", "status": "done"} for i in range(1, 11)]  # ten tickets, hours each
PLAN = [{"id": i, "source": "plan", "status": "done"} for i in range(11, 16)]  # five milestones, months each
OPEN = [{"id": 16, "source": "desk", "status": "in_progress"}, {"id": 17, "source": "plan", "status": "in_progress"}]


def _history() -> pd.DataFrame:
    rows = []
    for i in range(1, 11):  # desk: started 1 March 09:00, done i hours later → 1..10 hours
        rows += [(i, "2026-03-01 09:00", "in_progress"), (i, str(T("2026-03-01 09:00") + pd.Timedelta(hours=i)),
                                                           "done")]
    for n, i in enumerate(range(11, 16)):  # plan: started 1 Jan, done 60, 70, 80, 90, 100 days later
        rows += [(i, "2026-01-01", "in_progress"), (i, str(T("2026-01-01") + pd.Timedelta(days=60 + 10 * n)), "done")]
    rows += [(16, "2026-03-01 10:00", "in_progress"), (17, "2026-03-01", "in_progress")]
    return events(rows)


def test_two_workflows_get_their_own_percentiles_and_ages() -> None:
    report = flow_report(items(DESK + PLAN + OPEN), _history(), pd.DataFrame(columns=["work_item_id",
                                                                                        "depends_on_item_id"]))
    wf = report["workflows"].set_index("workflow")
    # desk cycle times 1..10 hours: p85 = 8.65 hours (linear: 0.85 × 9 = 7.65 → between 8 and 9 hours)
    assert wf.loc["desk", "p85_days"] == pytest.approx(8.65 / 24)
    # plan: 60..100 days: p85 = 94 days (0.85 × 4 = 3.4 → 90 + 0.4 × 10)
    assert wf.loc["plan", "p85_days"] == pytest.approx(94.0)
    # each workflow is as of its own latest change: desk 1 March 19:00 (item 10 done), plan 11 April (item 15)
    assert wf.loc["desk", "as_of"] == T("2026-03-01 19:00") and wf.loc["plan", "as_of"] == T("2026-04-11")
    aging = report["aging"].set_index("id")
    # the open ticket is 9 hours old, past the desk's 8.65 hours; the milestone is 41 days old, within 94
    assert aging.loc[16, "age_days"] == pytest.approx(9 / 24) and bool(aging.loc[16, "beyond_p85"])
    assert aging.loc[17, "age_days"] == pytest.approx(41.0) and not bool(aging.loc[17, "beyond_p85"])
    # one 85th percentile over both (the old way) would be 64 days: the ticket would pass as young
    assert flow.percentiles(report["timeline"]["cycle_days"])[0.85] > 60
    assert report["percentiles"] == {}  # several workflows shown: no single set of percentile lines
    one = flow_report(items(DESK + PLAN + OPEN), _history(), pd.DataFrame(columns=["work_item_id",
                                                                                 "depends_on_item_id"]),
                      workflows=["plan"])
    assert one["percentiles"][0.85] == pytest.approx(94.0) and set(one["timeline"]["workflow"]) == {"plan"}


def test_done_per_week_counts_exactly_the_four_weeks_up_to_the_workflows_own_date() -> None:
    # as of Sunday 29 March 12:00; the window is (1 March 12:00, 29 March 12:00]: 8 finishes inside,
    # one on 1 March 11:00 (just outside) and one on 22 Feb (in the W-SUN bin labelled 1 March, which the
    # old week-label filter counted)
    done_at = ["2026-02-22", "2026-03-01 11:00", "2026-03-02", "2026-03-05", "2026-03-09", "2026-03-12",
               "2026-03-16", "2026-03-20", "2026-03-25", "2026-03-29 12:00"]
    rows = [{"id": i, "source": "desk", "status": "done", "done_at": T(d)} for i, d in enumerate(done_at, 1)]
    hist = events([(i, str(T(d) - pd.Timedelta(hours=1)), "in_progress") for i, d in enumerate(done_at, 1)]
                  + [(i, d, "done") for i, d in enumerate(done_at, 1)])
    wf = flow_report(items(rows), hist, pd.DataFrame(columns=["work_item_id", "depends_on_item_id"]))["workflows"]
    assert wf["as_of"].iloc[0] == T("2026-03-29 12:00")
    assert wf["done_per_week"].iloc[0] == 8 / 4


def test_an_item_with_no_status_or_no_start_is_not_work_in_progress() -> None:
    rows = [{"id": 1, "status": None, "started_at": "2025-01-01"},  # a portfolio row: no status at all
            {"id": 2, "status": "in_progress"},  # says in progress, but nothing says since when
            {"id": 3, "status": "in_progress"}, {"id": 4, "status": "todo"}]
    tl = flow.timeline(items(rows), events([(3, "2026-01-05", "in_progress"), (4, "2026-01-05", "todo")]))
    tl = tl.set_index("id")
    assert tl["is_wip"].to_dict() == {1: False, 2: False, 3: True, 4: False}
    assert tl["not_tracked"].to_dict() == {1: True, 2: True, 3: False, 4: False}
    assert list(flow.aging_wip(tl.reset_index(), T("2026-02-01"))["id"]) == [3]


def test_a_source_mixing_sizeable_types_splits_into_one_workflow_per_type() -> None:
    rows = ([{"id": i, "source": "jira", "item_type": "Bug"} for i in range(25)]
            + [{"id": 100 + i, "source": "jira", "item_type": "Epic"} for i in range(20)]
            + [{"id": 200 + i, "source": "jira", "item_type": "Spike"} for i in range(3)]  # too few: stays in jira
            + [{"id": 300 + i, "source": "desk", "item_type": "Incident"} for i in range(30)])
    wf = workflow_of(items([{**r, "status": "todo"} for r in rows]))
    assert wf.value_counts().to_dict() == {"desk": 30, "jira · Bug": 25, "jira · Epic": 20, "jira": 3}


def test_servicenow_beside_a_plan_keeps_its_own_hours(engine) -> None:
    import_path(engine, SERVICENOW, user="t")
    items_ = flow_queries.work_items_frame(engine)
    ev = flow_queries.status_events_frame(engine)
    deps = flow_queries.dependencies_frame(engine)
    alone = flow_report(items_, ev, deps)["workflows"].set_index("workflow")
    raw = pd.read_csv(SERVICENOW, na_values=["?"], keep_default_na=False)
    assert alone.loc[SERVICENOW.stem, "items"] == raw["number"].nunique()
    # the log's own date, not the wall clock (the stragglers' test below says which of its dates)
    assert alone.loc[SERVICENOW.stem, "as_of"].year == 2016
    assert alone.loc[SERVICENOW.stem, "p85_days"] < 30


def test_a_wild_date_is_a_data_problem_not_a_moment() -> None:
    rows = [{"id": 1, "status": "in_progress", "due_at": "1900-01-01"},  # a placeholder: not 46,000 days late
            {"id": 2, "status": "in_progress", "due_at": "2070-12-31"},  # typed wrong: does not stretch the range
            {"id": 3, "status": "in_progress", "due_at": "2026-01-10"}]
    hist = events([(i, "2026-01-05", "in_progress") for i in (1, 2, 3)])
    tl = flow.timeline(items(rows), hist).set_index("id")
    assert tl["implausible_dates"].to_dict() == {1: True, 2: True, 3: False}
    assert tl["due_at"].isna().tolist() == [True, True, False]
    late = flow.overdue(tl.reset_index(), T("2026-02-01"))
    assert late["id"].tolist() == [3] and late["days_late"].tolist() == [22.0]


def test_stragglers_after_the_activity_do_not_pin_the_as_of_to_a_quiet_week(engine) -> None:
    import_path(engine, SERVICENOW, user="t")
    report = flow_report(flow_queries.work_items_frame(engine), flow_queries.status_events_frame(engine),
                         flow_queries.dependencies_frame(engine))
    wf = report["workflows"].iloc[0]
    raw = pd.read_csv(SERVICENOW, na_values=["?"], keep_default_na=False)
    changed = pd.to_datetime(raw["sys_updated_at"], format="%d-%m-%Y %H:%M").groupby(raw["number"]).max()
    weeks = changed.dt.to_period("W-SUN").value_counts().sort_index()
    # by hand: the last week with at least 5% of the busiest week's last changes (388 → 19.4) ends 3 April 2016
    active = weeks[weeks >= 0.05 * weeks.max()]
    assert wf["as_of"] == changed[changed.dt.to_period("W-SUN") <= active.index.max()].max()
    assert wf["as_of"] < changed.max() - pd.Timedelta(days=200)  # the log's stragglers run to February 2017
    finished = report["timeline"]["finish"]
    in_window = int(((finished > wf["as_of"] - pd.Timedelta(days=28)) & (finished <= wf["as_of"])).sum())
    assert wf["done_per_week"] == in_window / 4 > 20
