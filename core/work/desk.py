"""What My work offers one viewer: the teams they may open, the team it opens on, whether they may change
anything, and the part of a team's items each tab shows.

Rights are enforced again by every write (core.accounts.auth); deciding here what to offer keeps the
page from showing a manager another team's items to edit, or an executive a button that can only fail.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sqlalchemy.engine import Engine

from core.accounts import queries as account_queries
from core.accounts.auth import LOCAL_OWNER, AccessDenied, Viewer, require_writer
from core.people.queries import person_named
from core.store.values import is_missing
from core.work.rows import DEFAULT_STALE_DAYS, grid_frame, stale_items, view_items

STALE_COLUMNS = ["external_key", "title", "owner", "status", "last_update", "days_since_update"]


def can_change(viewer: Viewer) -> bool:
    """Managers and admins change items (their own team's, for a manager); executives read."""
    try:
        require_writer(viewer)
    except AccessDenied:
        return False
    return True


def account_person(engine: Engine, viewer: Viewer) -> str | None:
    """The person a signed-in account is, as My work's "Me": its display name, e-mail or user name resolved by
    core.people (a merged alias or "Shah, Priya" is still Priya Shah), so "Mine" finds the items owned under the
    person's own name. None without accounts (the one person on the machine chooses) or when no one fits."""
    if viewer == LOCAL_OWNER:
        return None
    with engine.connect() as conn:
        users = account_queries.users_frame(conn)
    account = users[users["username"].str.casefold() == viewer.username.casefold()]
    names: list[object] = [viewer.person]
    if not account.empty:
        names += [account.iloc[0]["display_name"], account.iloc[0]["email"]]
    return person_named(engine, [*names, viewer.username])


def remembered_me(names: list[str], remembered: str | None, account: str | None) -> str | None:
    """Who "Me" is when the page opens: the choice made earlier in this session, else the account's person."""
    for name in (remembered, account):
        if name in names:
            return name
    return None


def team_choices(teams: pd.DataFrame, viewer: Viewer) -> list[str]:
    """The teams a viewer may open: a manager their own (when it has items or people), everyone else every team."""
    names = teams["name"].tolist()
    return [viewer.team] if viewer.role == "manager" and viewer.team in names else names


def first_team(choices: list[str], my_teams: list[str], remembered: str | None) -> int:
    """Which of ``choices`` the page opens on: the one chosen last time, else my own team, else the first."""
    wanted = remembered or (my_teams[0] if my_teams else choices[0])
    return choices.index(wanted) if wanted in choices else 0


@dataclass(frozen=True)
class Team:
    """The team the page is open on."""

    id: int
    name: str
    stale_days: int  # its own 'stale after', else the default


def team(teams: pd.DataFrame, name: str) -> Team:
    """The chosen team's id and threshold, from the teams the viewer may open."""
    row = teams.set_index("name").loc[name]
    days = row["stale_days"]
    return Team(int(row["id"]), name, DEFAULT_STALE_DAYS if is_missing(days) else int(days))


def sources(items: pd.DataFrame, team_name: str) -> list[str]:
    """The team's trackers, the biggest first (new rows go to one of them); a new team's is named after it."""
    return items["source"].value_counts().index.tolist() or [f"{team_name} tracker"]


def grid(items: pd.DataFrame, view: str, me: str | None, now: pd.Timestamp, stale_days: int) -> pd.DataFrame:
    """The editable grid of one view (my team, mine, overdue, blocked, stale)."""
    return grid_frame(view_items(items, view, me, now, stale_days))


def open_items_of(items: pd.DataFrame, me: str | None) -> pd.DataFrame:
    """My open items, for quick updates (none until I say who I am)."""
    return items[items["owner"].eq(me) & items["status"].ne("done")] if me else items.iloc[0:0]


def stale_table(items: pd.DataFrame, now: pd.Timestamp, days: int) -> pd.DataFrame:
    """The team's open items not updated for more than ``days`` days, oldest first, as the Stale tab lists them."""
    return stale_items(items, now, days)[STALE_COLUMNS]
