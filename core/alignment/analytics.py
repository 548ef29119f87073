"""Alignment: which work serves which objective, and which serves none ("hidden work").

Pure functions over the frames of ``alignment_queries.alignment_items_frame`` and
``strategy_queries.objectives_frame``: DataFrame in, DataFrame out, inputs never mutated.
An item is *linked* when it has an objective; *hidden work* is work with none.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from core.flow.analytics import filter_items
from core.store.values import is_missing

NO_GROUP = "(none)"
OPEN = "open"
# Item fields a rule can test; any kept attribute (a column the mapping did not use) can be tested too.
ITEM_FIELDS = ("source", "item_type", "raw_status", "priority", "title", "description", "owner", "team",
               "source_file")
MATCH_TYPES = ("equals", "contains", "regex")
DRILL = ["source", "external_key", "title", "status", "owner", "team", "objective", "effort", "source_file",
         "source_sheet", "source_row"]


# --------------------------------------------------------------------------- scope
def in_period(items: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    """Items alive at some point in [start, end]: created by the end and not done before the start.

    Items without a creation date count as alive (a hand-kept tracker often has none).
    """
    keep = pd.Series(True, index=items.index)
    if end is not None:
        keep &= items["created_at"].isna() | (items["created_at"] <= end)
    if start is not None:
        keep &= items["done_at"].isna() | (items["done_at"] >= start)
    return items[keep]


def items_in_scope(items: pd.DataFrame, teams: Sequence[str] = (), sources: Sequence[str] = (),
                   period: tuple[date, date] | None = None) -> pd.DataFrame:
    """The items the Alignment view's sidebar picks: of these teams and sources (all when none is picked), alive
    at some point between the period's first and last day (the last day included)."""
    chosen = filter_items(items, list(teams), list(sources))
    if not period:
        return chosen
    return in_period(chosen, pd.Timestamp(period[0]), pd.Timestamp(period[1]) + pd.Timedelta(days=1))


def is_open(items: pd.DataFrame) -> pd.Series:
    """Not done: neither in the done status nor with a done date (a tracker may set only one)."""
    return items["status"].ne("done") & items["done_at"].isna()


def is_linked(items: pd.DataFrame) -> pd.Series:
    """Linked to an objective (hidden work is work that is not)."""
    return items["objective_id"].notna()


# --------------------------------------------------------------------------- headline and hidden work
def alignment_headline(items: pd.DataFrame) -> dict[str, Any]:
    """Share of open items and of open effort linked to an objective; hidden-work ratio of all items in scope."""
    open_ = items[is_open(items)]
    effort = pd.to_numeric(open_["effort"], errors="coerce")
    linked_open = is_linked(open_)
    total_effort = float(effort.sum()) if effort.notna().any() else None
    return {
        "items": int(len(items)),
        "hidden_items": int((~is_linked(items)).sum()),
        "hidden_ratio": float((~is_linked(items)).mean()) if len(items) else None,
        "open_items": int(len(open_)),
        "open_linked_share": float(linked_open.mean()) if len(open_) else None,
        "open_effort": total_effort,
        "open_effort_linked_share": (float(effort[linked_open].sum()) / total_effort) if total_effort else None,
    }


def hidden_work_by(items: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per team or owner: items, hidden (no objective) items and effort, hidden ratio; worst first."""
    cols = [by, "items", "hidden", "hidden_ratio", "effort", "hidden_effort"]
    if items.empty:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({by: items[by].fillna(NO_GROUP), "hidden": (~is_linked(items)).astype(int),
                          "effort": pd.to_numeric(items["effort"], errors="coerce").fillna(0.0)})
    frame["hidden_effort"] = frame["effort"].where(frame["hidden"] == 1, 0.0)
    out = frame.groupby(by, sort=False).agg(items=("hidden", "size"), hidden=("hidden", "sum"),
                                            effort=("effort", "sum"), hidden_effort=("hidden_effort", "sum"))
    out["hidden_ratio"] = out["hidden"] / out["items"]
    out = out.reset_index().sort_values(["hidden_ratio", "hidden", by], ascending=[False, False, True],
                                        ignore_index=True)
    return out[cols]


# --------------------------------------------------------------------------- the objective tree
def objective_paths(objectives: pd.DataFrame) -> pd.DataFrame:
    """For each objective code: its pillar (root) and its second-level objective, as labels."""
    parent = dict(zip(objectives["code"], objectives["parent"]))
    label = {c: f"{c} {t}" for c, t in zip(objectives["code"], objectives["title"])}
    rows = []
    for code in objectives["code"]:
        chain, node, seen = [], code, set()
        while isinstance(node, str) and node and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parent.get(node)
        chain.reverse()
        rows.append({"code": code, "pillar": label[chain[0]],
                     "objective": label[chain[1]] if len(chain) > 1 else f"{label[chain[0]]} (directly)",
                     "ancestors": chain})
    return pd.DataFrame(rows, columns=["code", "pillar", "objective", "ancestors"])


def work_per_objective(items: pd.DataFrame, objectives: pd.DataFrame) -> pd.DataFrame:
    """Linked items and effort per pillar → objective → team (what the treemap shows)."""
    cols = ["pillar", "objective", "team", "items", "open_items", "effort"]
    linked = items[is_linked(items)]
    if linked.empty or objectives.empty:
        return pd.DataFrame(columns=cols)
    paths = objective_paths(objectives).set_index("code")
    frame = pd.DataFrame({"pillar": linked["objective"].map(paths["pillar"]),
                          "objective": linked["objective"].map(paths["objective"]),
                          "team": linked["team"].fillna(NO_GROUP), "open": is_open(linked).astype(int),
                          "effort": pd.to_numeric(linked["effort"], errors="coerce").fillna(0.0)})
    frame = frame.dropna(subset=["pillar"])
    out = (frame.groupby(["pillar", "objective", "team"]).agg(items=("open", "size"), open_items=("open", "sum"),
                                                               effort=("effort", "sum")).reset_index())
    return out.sort_values(["pillar", "objective", "items"], ascending=[True, True, False], ignore_index=True)[cols]


def size_measures(per_objective: pd.DataFrame) -> list[str]:
    """What the treemap can size boxes by: items always, effort when the linked work has any."""
    has_effort = bool(len(per_objective)) and per_objective["effort"].sum() > 0
    return ["items", "effort"] if has_effort else ["items"]


def _subtree_counts(items: pd.DataFrame, objectives: pd.DataFrame) -> pd.DataFrame:
    """Items and open items per objective, counting the work of its key results and children too.

    Counted per linked code first (one groupby over the items), then rolled up the small objective tree.
    """
    paths = objective_paths(objectives).set_index("code")
    linked = items[is_linked(items)]
    per_code = pd.DataFrame({"code": linked["objective"], "open": is_open(linked).astype(int)}).groupby("code").agg(
        items=("open", "size"), open_items=("open", "sum"))
    totals = {code: [0, 0] for code in objectives["code"]}
    for code, row in per_code.iterrows():
        if code in paths.index:
            for anc in paths.at[code, "ancestors"]:
                totals[anc][0] += int(row["items"])
                totals[anc][1] += int(row["open_items"])
    out = objectives[["code", "title", "owner"]].copy()
    out["items"] = out["code"].map(lambda c: totals[c][0]).astype(int)
    out["open_items"] = out["code"].map(lambda c: totals[c][1]).astype(int)
    return out


def objectives_without_open_work(items: pd.DataFrame, objectives: pd.DataFrame) -> pd.DataFrame:
    """Strategy that is not being executed: no open item serves the objective or any of its key results."""
    counts = _subtree_counts(items, objectives)
    return counts[counts["open_items"] == 0].reset_index(drop=True)


def done_but_not_green(items: pd.DataFrame, objectives: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """Objectives whose work is all done while their KPIs are not green: output delivered, outcome missing."""
    counts = _subtree_counts(items, objectives)
    status = measured.set_index("code")["measured_status"] if len(measured) else pd.Series(dtype=object)
    counts["measured_status"] = counts["code"].map(status).fillna("grey")
    done = counts[(counts["items"] > 0) & (counts["open_items"] == 0) & (counts["measured_status"] != "green")]
    return done.reset_index(drop=True)


def hidden_items_of(items: pd.DataFrame, by: str, values: list[Any]) -> pd.DataFrame:
    """Drill-down of a hidden-work bar: the unlinked items of the picked teams or owners."""
    return items[items[by].fillna(NO_GROUP).isin(values) & ~is_linked(items)]


def items_under(items: pd.DataFrame, objectives: pd.DataFrame, path: str) -> pd.DataFrame:
    """Drill-down of a treemap box ("pillar / objective / team"): the linked items it stands for."""
    parts = path.split(" / ")
    paths = objective_paths(objectives).set_index("code")
    linked = items[is_linked(items)]
    match = linked["objective"].map(paths["pillar"]) == parts[0]
    if len(parts) > 1:
        match &= linked["objective"].map(paths["objective"]) == parts[1]
    if len(parts) > 2:
        match &= linked["team"].fillna(NO_GROUP) == parts[2]
    return linked[match]


# --------------------------------------------------------------------------- alignment rules
def attribute_fields(items: pd.DataFrame) -> list[str]:
    """Kept attribute names (columns the mapping did not use), e.g. ServiceNow's category or assignment_group."""
    keys: set[str] = set()
    for attrs in items.get("attributes", pd.Series(dtype=object)).dropna():
        if isinstance(attrs, dict):
            keys.update(attrs)
    return sorted(keys)


def field_values(items: pd.DataFrame, field: str) -> pd.Series:
    """A field of every item as text: a mapped column when there is one, else the kept attribute."""
    if field in items.columns and field != "attributes":
        values = items[field]
    else:
        values = items.get("attributes", pd.Series(None, index=items.index, dtype=object)).map(
            lambda a: a.get(field) if isinstance(a, dict) else None)
    return values.map(lambda v: None if is_missing(v) else str(v))


# --------------------------------------------------------------------------- suggestions
def item_text(items: pd.DataFrame, people: frozenset[str] = frozenset()) -> pd.Series:
    """What an item says about itself: title, description and its short text attributes (category, group…).

    Attribute values that are people's names (``people``, case-folded) are left out: who resolved a ticket
    says nothing about which objective it serves.
    """
    def attrs_text(a: Any) -> str:
        if not isinstance(a, dict):
            return ""
        return " ".join(str(v) for v in a.values()
                        if isinstance(v, str) and 2 < len(v) < 60 and v.strip().casefold() not in people
                        and not re.fullmatch(r"[\d\s:./-]+|\?|true|false", v, re.IGNORECASE))
    parts = [items["title"].fillna("").astype(str), items.get("description", pd.Series("", index=items.index))
             .fillna("").astype(str), items.get("attributes", pd.Series(None, index=items.index)).map(attrs_text)]
    return (parts[0] + " " + parts[1] + " " + parts[2]).str.strip()


def suggest_objectives(unlinked: pd.DataFrame, objectives: pd.DataFrame, linked: pd.DataFrame, top: int = 3,
                       min_score: float = 0.05, max_examples: int = 300) -> pd.DataFrame:
    """Top objectives for each unlinked item by TF-IDF cosine similarity (scikit-learn).

    An objective is described by its code, title and description plus the text of
    up to ``max_examples`` items already linked to it, so past links teach the scorer
    the vocabulary of each objective's work.
    """
    cols = ["item_id", "rank", "objective", "objective_title", "score"]
    if unlinked.empty or objectives.empty:
        return pd.DataFrame(columns=cols)
    people = frozenset(str(n).strip().casefold() for n in pd.concat([unlinked["owner"], linked["owner"]]).dropna()
                       ) if "owner" in unlinked else frozenset()
    linked_texts = item_text(linked, people)
    examples = linked_texts.groupby(linked["objective"].values).apply(
        lambda s: " ".join(s.head(max_examples))) if len(linked) else pd.Series(dtype=str)
    docs = [" ".join([str(r["title"]), str(r.get("description") or ""), examples.get(r["code"], "")])
            for r in objectives.to_dict("records")]
    texts = item_text(unlinked, people).tolist()
    vectoriser = _fitted_vectoriser(docs + texts + linked_texts.tolist())  # word weights from all the work
    if vectoriser is None:
        return pd.DataFrame(columns=cols)
    scores = (vectoriser.transform(texts) @ vectoriser.transform(docs).T).toarray()
    k = min(top, scores.shape[1])
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    codes, titles = objectives["code"].to_numpy(), objectives["title"].to_numpy()
    ids = unlinked["id"].to_numpy()
    rows = [(int(ids[i]), rank + 1, codes[j], titles[j], float(round(scores[i, j], 3)))
            for i in range(len(ids)) for rank, j in enumerate(best[i]) if scores[i, j] >= min_score]
    return pd.DataFrame(rows, columns=cols)


def suggest_for_unlinked(items: pd.DataFrame, objectives: pd.DataFrame, sources: Sequence[str] = (),
                         limit: int = 2_000) -> pd.DataFrame:
    """Suggestions for the first ``limit`` unlinked items (of these sources; all when none is picked), learning
    from every linked item: scoring costs time per item, and the page lists a few thousand at most."""
    unlinked = items[~is_linked(items)]
    if sources:
        unlinked = unlinked[unlinked["source"].isin(sources)]
    return suggest_objectives(unlinked.head(limit), objectives, items[is_linked(items)])


def _fitted_vectoriser(corpus: list[str]) -> Any:
    """TF-IDF over objectives and items; words in over half the texts (a ticket system's boilerplate such as
    "Phone" or "Do Not Notify") carry no meaning and are dropped, unless that leaves nothing."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    for max_df in (0.5, 1.0):
        vectoriser = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), max_df=max_df,
                                     token_pattern=r"(?u)\b[^\W\d_]{2,}\b")  # words, not ids or caller numbers
        try:
            return vectoriser.fit(corpus)
        except ValueError:  # no word left (all stop words, or all boilerplate)
            continue
    return None


class AlignmentReport(TypedDict):
    """What :func:`alignment_report` returns for one scope of items."""

    items: pd.DataFrame  # the items in scope, which every figure and drill-down is of
    headline: dict[str, Any]  # alignment_headline: counts and shares (None where there is nothing to share)
    by_team: pd.DataFrame
    by_owner: pd.DataFrame
    per_objective: pd.DataFrame
    no_open_work: pd.DataFrame
    done_not_green: pd.DataFrame


def alignment_report(items: pd.DataFrame, objectives: pd.DataFrame, measured: pd.DataFrame) -> AlignmentReport:
    """Everything the alignment view shows for one scope, computed together (cached as one unit)."""
    return AlignmentReport(items=items, headline=alignment_headline(items), by_team=hidden_work_by(items, "team"),
                           by_owner=hidden_work_by(items, "owner"), per_objective=work_per_objective(items, objectives),
                           no_open_work=objectives_without_open_work(items, objectives),
                           done_not_green=done_but_not_green(items, objectives, measured))
