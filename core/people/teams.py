"""Team names that are one team: "Service Desk", "ServiceDesk", "service-desk" (the same words), and
"IT Service Desk" (one name inside another: proposed as "check", never merged without an admin).

Pure, like core.people.identity. Names with numbers ("Group 5", "Group 56") match only when written the same
but for spacing; a name contained in several others ("DSBS" in two area paths) is a parent, not a duplicate.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from core.people.groups import Link, group_frame
from core.people.identity import fold
from core.store.values import is_blank


@dataclass(frozen=True)
class _Team:
    id: int
    name: str
    words: tuple[str, ...]
    refs: int

    @property
    def compact(self) -> str:
        return "".join(self.words)


def _teams(teams: pd.DataFrame) -> list[_Team]:
    refs = teams["references"] if "references" in teams else pd.Series([0] * len(teams), index=teams.index)
    out = []
    for ident, name, n in zip(teams["id"], teams["name"], refs):
        if is_blank(name):
            continue
        words = tuple(re.findall(r"[a-z0-9]+", fold(name)))
        if words:
            out.append(_Team(int(ident), str(name), words, 0 if pd.isna(n) else int(n)))
    return out


def _links(teams: list[_Team]) -> list[Link]:
    links: list[Link] = []
    by_compact: dict[str, list[_Team]] = {}
    for t in teams:
        by_compact.setdefault(t.compact, []).append(t)
    for group in by_compact.values():
        links += [Link(group[0].id, t.id, "same words (spacing, case, punctuation)", 0.9) for t in group[1:]]
    # each spelling once, by its most-worded form ("Service Desk", not "ServiceDesk")
    distinct = [max(group, key=lambda t: len(t.words)) for group in by_compact.values()]
    for short in distinct:
        if any(w.isdigit() for w in short.words):
            continue
        wider = [t for t in distinct if t.id != short.id and set(short.words) < set(t.words)
                 and not all(w.isdigit() for w in set(t.words) - set(short.words))]
        if len(wider) == 1:
            links.append(Link(wider[0].id, short.id, "one name contains the other", 0.5))
    return links


def _rank(team: _Team) -> tuple[int, int, int, int]:
    """The survivor: the name most rows already use (the one people recognise), then the one with the most words."""
    return (team.refs, len(team.words), len(team.name), -team.id)


def propose_team_merges(teams: pd.DataFrame) -> pd.DataFrame:
    """Groups of team rows that are one team (``id``, ``name``, optionally ``references``); core.people.groups shape."""
    rows = _teams(teams)
    return group_frame(rows, _links(rows), _rank, lambda _members: False)
