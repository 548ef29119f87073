"""core.work.desk: which teams My work offers a viewer, which one it opens on, and who may change anything."""
from __future__ import annotations

import pandas as pd

from core.accounts.auth import LOCAL_OWNER, Viewer
from core.work import desk

TEAMS = pd.DataFrame({"id": [1, 2], "name": ["Dev", "Ops"], "stale_days": [None, 3]})


def test_a_manager_opens_their_own_team_and_everyone_else_every_team() -> None:
    assert desk.team_choices(TEAMS, Viewer("m", "manager", "Ops", 2)) == ["Ops"]
    assert desk.team_choices(TEAMS, Viewer("e", "executive")) == ["Dev", "Ops"]
    assert desk.team_choices(TEAMS, LOCAL_OWNER) == ["Dev", "Ops"]
    # a manager of a team with no items or people yet sees the teams; every write is refused in core
    assert desk.team_choices(TEAMS, Viewer("m", "manager", "Facilities", 9)) == ["Dev", "Ops"]


def test_managers_and_admins_may_change_items_executives_read() -> None:
    assert desk.can_change(Viewer("m", "manager", "Ops", 2)) and desk.can_change(LOCAL_OWNER)
    assert not desk.can_change(Viewer("e", "executive"))


def test_the_page_opens_on_the_team_chosen_last_else_my_own_else_the_first() -> None:
    choices = ["Dev", "Ops"]
    assert desk.first_team(choices, ["Ops"], "Dev") == 0
    assert desk.first_team(choices, ["Ops"], None) == 1
    assert desk.first_team(choices, [], None) == 0
    assert desk.first_team(["Ops"], [], "Dev") == 0  # last time's team is no longer offered


def test_a_team_without_its_own_threshold_uses_the_default() -> None:
    assert desk.team(TEAMS, "Dev") == desk.Team(1, "Dev", 14)
    assert desk.team(TEAMS, "Ops") == desk.Team(2, "Ops", 3)
