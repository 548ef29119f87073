"""What the Alignment page's tools work on: suggestions to accept, unlinked work to narrow, edit and link.

Pure functions over ``alignment_queries.alignment_items_frame``, ``analytics.suggest_objectives`` and the
bulk editor's grid (DataFrame in, DataFrame or :class:`~core.alignment.rules.Link` list out, inputs never
mutated): the page draws the widgets and hands the Links to ``rules.link_items``, which checks and writes
them in one batch.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.alignment.analytics import is_linked
from core.alignment.rules import Link
from core.store.grid import diff_rows
from core.store.values import is_blank

BULK_FILTERS = ("team", "owner", "source")  # the bulk tab narrows by these, in this order
BULK_COLUMNS = ["id", "external_key", "title", "team", "owner", "objective", "source_file", "source_row"]
EDITABLE = ("objective", "owner")  # the bulk editor's editable columns; the others are shown read-only
BULK_ROWS = 1_000  # rows the bulk editor shows (a data editor of more is slow to draw and to diff)


def objective_labels(objectives: pd.DataFrame) -> dict[str, str]:
    """Code → "code title", how pickers name an objective."""
    return dict(zip(objectives["code"], objectives["code"] + " " + objectives["title"]))


# --------------------------------------------------------------------------- suggestions
def top_suggestions(suggestions: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Each item's best-scoring objective, with the item's title (what the suggestions table lists)."""
    titles = items.set_index("id")["title"]
    return suggestions[suggestions["rank"] == 1].assign(title=lambda d: d["item_id"].map(titles))


def choices_for(suggestions: pd.DataFrame, item_id: int) -> pd.Series:
    """Objective code → score of the objectives suggested for one item, best first."""
    return suggestions[suggestions["item_id"] == item_id].set_index("objective")["score"]


def accepted_links(top: pd.DataFrame, floor: float) -> list[Link]:
    """A link for every top suggestion that scores at least ``floor``."""
    chosen = top[top["score"] >= floor]
    return [Link(int(i), o) for i, o in zip(chosen["item_id"], chosen["objective"])]


# --------------------------------------------------------------------------- unlinked work
def unlinked(items: pd.DataFrame) -> pd.DataFrame:
    """The items that serve no objective yet: what the bulk tab works through."""
    return items[~is_linked(items)]


def narrowed(items: pd.DataFrame, column: str, values: Sequence[str]) -> pd.DataFrame:
    """The rows whose ``column`` is one of ``values``; every row when none is picked."""
    return items[items[column].isin(values)] if values else items


def bulk_grid(items: pd.DataFrame) -> pd.DataFrame:
    """The first BULK_ROWS items with the columns the bulk editor shows (id hidden; objective and owner editable)."""
    return items.head(BULK_ROWS)[BULK_COLUMNS]


def edited_links(grid: pd.DataFrame, edited: pd.DataFrame) -> list[Link]:
    """A link for every row whose objective or owner the user changed, setting only what changed.

    The one data-editor diff (core.store.grid.diff_rows) matches rows on the hidden id, never on position,
    and a blank cell equals a cleared one; a cleared cell is handed on as None (no objective, no owner).
    """
    updates = diff_rows(grid, edited, EDITABLE).updates
    return [Link(row_id, _text(cells.get("objective")), _text(cells.get("owner")),
                 set_objective="objective" in cells, set_owner="owner" in cells) for row_id, cells in updates]


def _text(value: object) -> str | None:
    return None if is_blank(value) else str(value)


def links_to(items: pd.DataFrame, objective: str) -> list[Link]:
    """Every one of these items linked to one objective (the bulk tab's "Link all")."""
    return [Link(int(i), objective) for i in items["id"]]
