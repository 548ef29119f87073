"""The rows behind a Bottlenecks pick (core.flow.drill), on the hand-built history of test_flow."""
from __future__ import annotations

import pandas as pd

from core.flow import analytics as flow
from core.flow import drill
from tests.flow.test_flow import HISTORY, ITEMS, T

TIMELINE = flow.timeline(ITEMS, HISTORY)


def test_a_flow_band_is_the_items_in_that_status_at_the_end_of_its_week() -> None:
    # by the end of Sunday 11 January: item 1 in progress since the 7th, 2 since the 5th, 3 back in progress
    # on the 10th, 4 since the 8th; item 6 blocked, item 5 still to do
    week, status, rows = drill.band_items(TIMELINE, HISTORY, "2026-01-11|in_progress")
    assert (week, status) == ("2026-01-11", "in_progress") and sorted(rows["id"]) == [1, 2, 3, 4]
    assert sorted(drill.band_items(TIMELINE, HISTORY, "2026-01-11|blocked")[2]["id"]) == [6]
    # a status that changed late on the band's last day still counts: the end of the day, not its start
    late = pd.concat([HISTORY, pd.DataFrame([{"work_item_id": 5, "at": T("2026-01-11 22:00"), "status": "blocked"}])])
    assert sorted(drill.band_items(TIMELINE, late, "2026-01-11|blocked")[2]["id"]) == [5, 6]


def test_finished_in_weeks_ending_on_sunday() -> None:
    finished = TIMELINE[TIMELINE["finish"].notna()]
    # item 1 finished Monday 12th (week ending Sunday 18th), 2 on the 15th, 3 on the 16th: all that week
    assert sorted(drill.finished_in_weeks(finished, [T("2026-01-18")])["id"]) == [1, 2, 3]
    assert drill.finished_in_weeks(finished, [T("2026-01-11")]).empty


def test_work_in_progress_and_picks_name_blanks_as_the_charts_do() -> None:
    tl = TIMELINE.assign(team=TIMELINE["team"].where(TIMELINE["id"] != 4))
    wip = drill.work_in_progress(tl, "team")
    assert set(wip["id"]) == set(tl.loc[tl["is_wip"], "id"]) and "(no team)" in set(wip["team"])
    assert drill.picked(wip, "team", ["(no team)"])["id"].tolist() == [4]
    assert tl["team"].isna().sum() == 1  # the input keeps its blank


def test_past_p85_rounds_the_age_and_keeps_only_old_items() -> None:
    aging = pd.DataFrame({"id": [1, 2], "age_days": [12.345, 3.0], "beyond_p85": [True, False]})
    assert drill.past_p85(aging).to_dict("records") == [{"id": 1, "age_days": 12.3, "beyond_p85": True}]
