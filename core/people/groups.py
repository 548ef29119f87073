"""Links between rows that name the same person or team, joined into proposed merge groups.

Shared by the people and the team matchers so that both hand the page one shape: one row per duplicate with its
survivor, the evidence that joined it and its confidence (as sure as the weakest link between it and the survivor).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Sequence, TypeVar

import pandas as pd

CHECK_BELOW = 0.7  # a group less sure than this is shown as "check": the admin reads the evidence before confirming
COLUMNS = ["group", "survivor_id", "survivor", "id", "name", "evidence", "confidence", "check", "references"]


@dataclass(frozen=True)
class Link:
    """Two rows that are one, and why."""

    a: int
    b: int
    evidence: str
    confidence: float


class Named(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def refs(self) -> int: ...


R = TypeVar("R", bound=Named)


def grouped(ids: Iterable[int], links: Iterable[Link]) -> dict[int, int]:
    """Each id → its group's root, joining only links between the given ids (union-find)."""
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for link in links:
        if link.a in parent and link.b in parent:
            ra, rb = root(link.a), root(link.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {i: root(i) for i in parent}


def _widest(survivor: int, members: set[int], links: Sequence[Link]) -> dict[int, tuple[float, str]]:
    """Each member's confidence as the weakest link on its surest path from the survivor, with the link that
    reached it: a typo two steps away stays "check" while the exact forms beside it do not."""
    reach: dict[int, tuple[float, str]] = {survivor: (1.0, "")}
    frontier = [survivor]
    while frontier:
        here = max(frontier, key=lambda i: reach[i][0])
        frontier.remove(here)
        for link in links:
            if here not in (link.a, link.b):
                continue
            there = link.b if link.a == here else link.a
            if there not in members:
                continue
            width = min(reach[here][0], link.confidence)
            if there not in reach or width > reach[there][0]:
                reach[there] = (width, link.evidence)
                frontier.append(there)
    return reach


def group_frame(rows: Sequence[R], links: Sequence[Link], rank: Callable[[R], tuple],
                conflicting: Callable[[list[R]], bool]) -> pd.DataFrame:
    """The proposal frame: survivor = the row ``rank`` puts first; groups ``conflicting`` rejects are left out."""
    by_id = {r.id: r for r in rows}
    roots = grouped(by_id, links)
    members: dict[int, list[R]] = {}
    for i, r in roots.items():
        members.setdefault(r, []).append(by_id[i])
    out: list[dict[str, object]] = []
    groups = [m for m in members.values() if len(m) > 1 and not conflicting(m)]
    groups.sort(key=lambda m: max(m, key=rank).name.casefold())
    for number, group in enumerate(groups, start=1):
        survivor = max(group, key=rank)
        ids = {m.id for m in group}
        reach = _widest(survivor.id, ids, [link for link in links if link.a in ids and link.b in ids])
        for m in sorted((m for m in group if m.id != survivor.id), key=lambda m: m.name.casefold()):
            confidence, evidence = reach[m.id]
            out.append({"group": number, "survivor_id": survivor.id, "survivor": survivor.name, "id": m.id,
                        "name": m.name, "evidence": evidence, "confidence": round(confidence, 2),
                        "check": confidence < CHECK_BELOW, "references": m.refs})
    return pd.DataFrame(out, columns=COLUMNS)
