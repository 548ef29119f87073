"""What the People page shows: proposed merges of people or teams, names left alone, and recent merges.

One call per page run (through a cached loader in ui/people.py); the tables carry human column labels and no
internal ids beyond the ones the confirm buttons need.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from core.people import queries
from core.people.identity import ambiguous_names, propose_merges
from core.people.teams import propose_team_merges

SHOWN = {"name": "Name", "evidence": "Evidence", "confidence": "Confidence", "references": "Rows pointing at it"}
RECENT = {"alias": "Name", "survivor": "Now maps to", "merged_at": "Merged (UTC)", "by": "By", "batch": "Batch"}


@dataclass(frozen=True)
class Review:
    """Proposals (one row per duplicate, grouped), short forms that fit several, and merges already confirmed."""

    kind: str
    proposals: pd.DataFrame
    ambiguous: pd.DataFrame
    recent: pd.DataFrame
    candidates: int  # live people or teams compared

    def groups(self) -> list[pd.DataFrame]:
        return [rows for _g, rows in self.proposals.groupby("group", sort=True)]


def review(engine: Engine, kind: str) -> Review:
    """Everything the page needs for ``kind`` ("person" or "team") in one read."""
    if kind not in queries.KINDS:
        raise ValueError(f"kind must be one of {queries.KINDS}, not {kind!r}")
    candidates = queries.candidates_frame(engine, kind)
    if kind == "person":
        proposals, ambiguous = propose_merges(candidates), ambiguous_names(candidates)
    else:
        proposals = propose_team_merges(candidates)
        ambiguous = pd.DataFrame(columns=["id", "name", "could_be"])
    return Review(kind, proposals, ambiguous, queries.recent_merges(engine, kind), len(candidates))


def group_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One proposal group as the page shows it: the duplicates, why, how sure, and what points at them."""
    shown = rows[list(SHOWN)].rename(columns=SHOWN)
    shown["Confidence"] = [f"{c:.0%}" + (" · check" if check else "") for c, check in zip(rows["confidence"],
                                                                                          rows["check"])]
    return shown


def ambiguous_table(ambiguous: pd.DataFrame) -> pd.DataFrame:
    return ambiguous[["name", "could_be"]].rename(columns={"name": "Name", "could_be": "Could be any of"})


def recent_table(recent: pd.DataFrame) -> pd.DataFrame:
    shown = recent[list(RECENT)].rename(columns=RECENT)
    shown["Merged (UTC)"] = pd.to_datetime(shown["Merged (UTC)"]).dt.strftime("%Y-%m-%d %H:%M").fillna("")
    shown["Batch"] = [f"#{b}" if pd.notna(b) else "" for b in recent["batch"]]
    shown["By"] = shown["By"].fillna("")
    return shown
