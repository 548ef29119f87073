"""Alignment analytics on small hand-built frames with hand-computed answers, and the chart builders."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.alignment import analytics as al
from core.alignment import rules as linking
from core.reporting import charts

OBJECTIVES = pd.DataFrame({
    "id": [1, 2, 3, 4, 5], "code": ["P1", "O1", "KR1", "O2", "P2"],
    "title": ["Pillar one", "Faster fixes", "Median under 8h", "New change process", "Grow digital"],
    "description": [None, "Resolve incidents faster", None, "Document every change", None],
    "parent": [None, "P1", "O1", "P1", None], "owner": ["Ann", "Bob", "Bob", None, "Cy"]})


def items(rows: list[tuple]) -> pd.DataFrame:
    """(id, team, owner, objective code, status, effort) → an items frame like alignment_queries.alignment_items_frame."""
    ids = {"P1": 1, "O1": 2, "KR1": 3, "O2": 4, "P2": 5}
    frame = pd.DataFrame(rows, columns=["id", "team", "owner", "objective", "status", "effort"])
    frame["objective_id"] = frame["objective"].map(ids)
    frame["done_at"] = pd.to_datetime(frame["status"].map(lambda s: "2026-03-01" if s == "done" else None))
    frame["created_at"] = pd.Timestamp("2026-01-01")
    frame["title"] = "item " + frame["id"].astype(str)
    frame["source"] = "tracker"
    frame["attributes"] = [{"category": "Hardware" if i % 2 else "Account inquiry"} for i in frame["id"]]
    return frame


SAMPLE = items([
    (1, "Desk", "Eve", "O1", "in_progress", 2.0),
    (2, "Desk", "Eve", None, "in_progress", 3.0),
    (3, "Desk", "Fay", None, "done", 1.0),
    (4, "Desk", "Fay", "KR1", "todo", 4.0),
    (5, "Ops", "Gus", "O2", "done", 5.0),
    (6, "Ops", "Gus", None, "todo", 5.0),
    (7, None, None, None, "todo", None),
])


def test_headline_shares_and_hidden_ratio() -> None:
    head = al.alignment_headline(SAMPLE)
    # open: 1, 2, 4, 6, 7 → linked 1 and 4 = 2 of 5; open effort 2+3+4+5 = 14, linked 2+4 = 6
    assert head["open_items"] == 5 and head["open_linked_share"] == pytest.approx(0.4)
    assert head["open_effort"] == pytest.approx(14.0)
    assert head["open_effort_linked_share"] == pytest.approx(6 / 14)
    # hidden: 2, 3, 6, 7 of 7 items
    assert head["hidden_items"] == 4 and head["hidden_ratio"] == pytest.approx(4 / 7)


def test_hidden_work_per_team_and_owner_worst_first() -> None:
    by_team = al.hidden_work_by(SAMPLE, "team").set_index("team")
    assert list(by_team.index) == ["(none)", "Desk", "Ops"]  # 1/1, then 2/4 before 1/2 (tie: more hidden first)
    assert by_team.loc["Desk", ["items", "hidden"]].tolist() == [4, 2]
    assert by_team.loc["Desk", "hidden_ratio"] == pytest.approx(0.5)
    assert by_team.loc["Desk", "hidden_effort"] == pytest.approx(4.0)  # items 2 (3.0) and 3 (1.0)
    by_owner = al.hidden_work_by(SAMPLE, "owner").set_index("owner")
    assert by_owner.loc["Fay", "hidden_ratio"] == pytest.approx(0.5)
    assert by_owner.loc["Eve", "hidden"] == 1 and by_owner.loc["Gus", "items"] == 2


def test_inputs_are_not_mutated() -> None:
    before = SAMPLE.copy()
    al.alignment_report(SAMPLE, OBJECTIVES, pd.DataFrame({"code": ["O1"], "measured_status": ["red"]}))
    pd.testing.assert_frame_equal(SAMPLE, before)


def test_work_per_objective_rolls_key_results_up_to_their_objective() -> None:
    per = al.work_per_objective(SAMPLE, OBJECTIVES)
    rows = {(r.pillar, r.objective, r.team): (r.items, r.open_items, r.effort) for r in per.itertuples()}
    assert rows == {("P1 Pillar one", "O1 Faster fixes", "Desk"): (2, 2, 6.0),
                    ("P1 Pillar one", "O2 New change process", "Ops"): (1, 0, 5.0)}


def test_objectives_without_open_work_and_done_but_not_green() -> None:
    none_open = al.objectives_without_open_work(SAMPLE, OBJECTIVES)
    assert set(none_open["code"]) == {"O2", "P2"}  # O2's only item is done; P2 has nothing
    measured = pd.DataFrame({"code": ["O2", "P2"], "measured_status": ["red", "grey"]})
    done = al.done_but_not_green(SAMPLE, OBJECTIVES, measured)
    assert done["code"].tolist() == ["O2"] and done["measured_status"].tolist() == ["red"]
    green = al.done_but_not_green(SAMPLE, OBJECTIVES, measured.assign(measured_status="green"))
    assert green.empty


def test_in_period_keeps_work_alive_in_the_window() -> None:
    scoped = al.in_period(SAMPLE, pd.Timestamp("2026-04-01"), pd.Timestamp("2026-05-01"))
    assert sorted(scoped["id"]) == [1, 2, 4, 6, 7]  # done on 1 March: out


def test_rules_match_mapped_fields_and_kept_attributes_oldest_rule_first() -> None:
    rules = pd.DataFrame({"id": [2, 1], "field": ["category", "team"], "match_type": ["equals", "regex"],
                          "pattern": ["hardware", "^de"], "source": [None, None], "objective_id": [4, 2]})
    found = linking.rule_matches(SAMPLE, rules).set_index("item_id")
    # rule 1 (older) takes Desk items 1-4; rule 2 takes the remaining odd ids (Hardware): 5 and 7
    assert found["rule_id"].to_dict() == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 7: 2}
    counts = linking.rule_counts(SAMPLE, rules).set_index("id")
    # rule 2 catches Hardware items 1, 3, 5, 7: unlinked 3 and 7; item 5 already serves its objective O2
    assert counts.loc[2, ["matches", "unlinked", "linked_here"]].tolist() == [4, 2, 1]
    assert counts.loc[1, ["matches", "unlinked", "linked_here"]].tolist() == [4, 2, 1]


def test_rule_patterns_are_validated() -> None:
    with pytest.raises(ValueError, match="cannot be used as a regular expression"):
        linking.compile_rule("regex", "([unclosed")
    with pytest.raises(ValueError, match="match type"):
        linking.compile_rule("fuzzy", "x")
    assert linking.rule_mask(SAMPLE, "category", "contains", "INQUIRY").sum() == 3  # ids 2, 4, 6


def test_suggestions_rank_the_objective_whose_words_and_past_work_match() -> None:
    objectives = pd.DataFrame({"id": [1, 2], "code": ["O1", "O2"], "title": ["Resolve incidents faster", "Grow sign-ups"],
                               "description": ["Outages and broken laptops fixed quickly", "Online account opening"]})
    linked = pd.DataFrame({"id": [10, 11], "title": ["Laptop screen broken", "Account opening landing page"],
                           "objective": ["O1", "O2"], "owner": ["Eve", "Gus"], "attributes": [None, None]})
    unlinked = pd.DataFrame({"id": [20, 21, 22], "title": ["Broken laptop keyboard", "Landing page for account opening",
                                                           "Quarterly tax filing"],
                             "owner": ["Eve", "Gus", "Eve"], "attributes": [{"resolved_by": "Gus"}, None, None]})
    sugg = al.suggest_objectives(unlinked, objectives, linked)
    top = sugg[sugg["rank"] == 1].set_index("item_id")
    assert top.loc[20, "objective"] == "O1" and top.loc[21, "objective"] == "O2"
    assert 22 not in top.index  # shares no word with any objective: nothing suggested
    assert (sugg["score"] > 0).all() and (sugg["score"] <= 1).all()


def test_hidden_work_chart_is_a_sorted_percentage_bar() -> None:
    fig = charts.hidden_work_chart(al.hidden_work_by(SAMPLE, "team"), "team")
    bar = fig.data[0]
    assert isinstance(bar, go.Bar) and bar.orientation == "h"
    assert list(bar.y) == ["Ops", "Desk", "(none)"]  # plotly draws the last bar on top: worst at the top
    assert list(bar.x) == pytest.approx([50.0, 50.0, 100.0])
    assert list(bar.customdata) == ["Ops", "Desk", "(none)"]
    assert list(bar.text) == ["1 of 2", "2 of 4", "1 of 1"]
    assert fig.layout.xaxis.title.text == "Hidden work (% of items)" and fig.layout.yaxis.title.text == "Team"


def test_objective_treemap_sizes_by_items_or_effort() -> None:
    per = al.work_per_objective(SAMPLE, OBJECTIVES)
    fig = charts.objective_treemap(per, "items")
    tree = fig.data[0]
    assert isinstance(tree, go.Treemap)
    values = dict(zip(tree.ids, tree.values))
    assert values == {"P1 Pillar one": 3.0, "P1 Pillar one / O1 Faster fixes": 2.0,
                      "P1 Pillar one / O2 New change process": 1.0,
                      "P1 Pillar one / O1 Faster fixes / Desk": 2.0, "P1 Pillar one / O2 New change process / Ops": 1.0}
    effort = dict(zip(*(lambda t: (t.ids, t.values))(charts.objective_treemap(per, "effort").data[0])))
    assert effort["P1 Pillar one"] == 11.0
    drilled = al.items_under(SAMPLE, OBJECTIVES, "P1 Pillar one / O1 Faster fixes / Desk")
    assert sorted(drilled["id"]) == [1, 4]
