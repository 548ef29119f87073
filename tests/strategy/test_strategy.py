"""strategy: accountability flags, the editor's choices and diff, on hand-built frames with hand-computed answers."""
from __future__ import annotations

import pandas as pd

from core.store.grid import diff_rows
from core.strategy.editing import (
    editor_choices,
    objective_id,
    strategy_flags,
    unowned_objectives,
)

OBJECTIVES = pd.DataFrame({
    "code": ["P1", "O1", "O2", "O3"],
    "title": ["Pillar", "One owner", "Two named", "Nobody"],
    "owner": ["Ann", "Bob", None, None],
    "owner_text": ["Ann", "Bob", "Cy; Dee", None],
})
KPIS = pd.DataFrame({
    "code": ["K1", "K2", "K3", "K4"],
    "name": ["Measured", "Orphan", "Effect only", "Unowned"],
    "owner": ["Ann", "Bob", "Cy", None],
    "objective": ["O1", None, None, "O2"],
})
EFFECTS = pd.DataFrame({"kpi": ["K3", None]})


def test_flags_no_owner_double_owner_unowned_and_unused_kpis() -> None:
    flags = strategy_flags(OBJECTIVES, KPIS, EFFECTS)
    found = sorted(zip(flags["what"], flags["code"], flags["problem"]))
    assert found == [
        ("KPI", "K2", "no objective uses it (not the measure of an objective, no expected effect)"),
        ("KPI", "K4", "no owner"),
        ("objective", "O2", "2 owners named ('Cy; Dee'): exactly one must be accountable"),
        ("objective", "O3", "no accountable owner"),
    ]


def test_flags_are_empty_when_every_owner_is_single_and_every_kpi_used() -> None:
    objectives = OBJECTIVES.iloc[:2]
    kpis = KPIS.iloc[[0, 2]]
    assert strategy_flags(objectives, kpis, EFFECTS).empty


def test_diff_rows_finds_inserts_updates_and_deletes_by_hidden_id() -> None:
    original = pd.DataFrame({"id": [1, 2, 3], "code": ["A", "B", "C"], "owner": ["Ann", "Bob", None]})
    edited = pd.DataFrame({"id": [1, 3, None, None], "code": ["A", "C", "D", None],
                           "owner": ["Ann", "Cy", "Dee", None]})
    inserts, updates, deleted = diff_rows(original, edited, ["code", "owner"])
    assert inserts == [(3, {"code": "D", "owner": "Dee"})]  # the empty row the editor adds is ignored
    assert updates == [(3, {"owner": "Cy"})]
    assert deleted == [2]


def test_the_objectives_to_name_an_owner_for_are_the_flagged_ones() -> None:
    flags = strategy_flags(OBJECTIVES, KPIS, EFFECTS)
    assert unowned_objectives(flags) == ["O2", "O3"]
    assert unowned_objectives(flags.iloc[0:0]) == []
    assert objective_id(OBJECTIVES.assign(id=[10, 11, 12, 13]), "O2") == 12


def test_the_editors_choices_are_sorted_and_teams_come_from_incentives_and_people() -> None:
    frames = {"objectives": OBJECTIVES.iloc[::-1], "kpis": KPIS,
              "incentives": pd.DataFrame({"team": ["Ops", None, "Desk"]})}
    people = pd.DataFrame({"name": ["Cy", "Ann", None, "Ann"], "team": ["Ops", None, "Data", "Ops"]})
    choices = editor_choices(frames, people)
    assert choices.people == ["Ann", "Cy"] and choices.objectives == ["O1", "O2", "O3", "P1"]
    assert choices.kpis == ["K1", "K2", "K3", "K4"] and choices.teams == ["Data", "Desk", "Ops"]
