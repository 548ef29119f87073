"""Linking work to objectives: alignment rules, accepted suggestions and the bulk editor.

Every write is one edit batch (core.store.edits): audited row by row, undoable from the
Import history, and refreshing every view through the data version.

Rule patterns are typed by users and run over every work item in the server's process, so they run
on RE2 (linear time in the text, whatever the pattern: no catastrophic backtracking), on at most
MAX_TEXT characters of each value, and a pattern RE2 cannot run is refused with a message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import re2
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import Actor, actor_name, checked, require_admin, require_team
from core.alignment import queries as alignment_queries
from core.alignment.analytics import ITEM_FIELDS, MATCH_TYPES, field_values
from core.errors import EditRefused, NotFound
from core.store import tables, writes
from core.store.edits import EditBatch, edit_batch
from core.store.events import BatchCommitted
from core.store.models import utcnow
from core.store.values import is_blank, name_key, plain
from core.strategy import resolve


@dataclass(frozen=True)
class Link:
    """One item's new objective and/or owner, as the page names them (codes and names, blank to clear)."""

    item_id: int
    objective: str | None = None
    owner: str | None = None
    set_objective: bool = True
    set_owner: bool = False


MAX_PATTERN = 500  # characters in a rule's pattern
MAX_TEXT = 2_000  # characters of each field value a rule reads (titles and categories are far shorter)
RE2_MAX_MEMORY = 8 << 20  # bytes for one compiled pattern; beyond it the pattern is refused


# --------------------------------------------------------------------------- safe matching
def compile_rule(match_type: str, pattern: str) -> Any:
    """A rule's pattern as a case-insensitive RE2 regex; ValueError (a message for the user) when it cannot run."""
    if match_type not in MATCH_TYPES:
        raise ValueError(f"the match type must be one of {', '.join(MATCH_TYPES)}, not '{match_type}'")
    text = str(pattern or "").strip()
    if not text:
        raise ValueError("the pattern is empty")
    if len(text) > MAX_PATTERN:
        raise ValueError(f"the pattern has {len(text):,} characters; at most {MAX_PATTERN} are allowed")
    source = {"equals": rf"^\s*{re.escape(text)}\s*$", "contains": re.escape(text)}.get(match_type, text)
    options = re2.Options()
    options.case_sensitive, options.log_errors, options.max_mem = False, False, RE2_MAX_MEMORY
    try:
        return re2.compile(source, options)
    except Exception as exc:  # noqa: BLE001 - re2.error, or a pattern too big for the memory limit
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"'{text}' cannot be used as a regular expression ({detail}). Patterns run on RE2, "
                         "which has no back-references or look-arounds and allows repeat counts up to 1000") from None


def rule_mask(items: pd.DataFrame, field: str, match_type: str, pattern: str, source: str | None = None) -> pd.Series:
    """Which items a rule catches, in time linear in the text (each value read up to MAX_TEXT characters)."""
    rx = compile_rule(match_type, pattern)
    values = field_values(items, field)
    mask = values.map(lambda v: bool(rx.search(v[:MAX_TEXT])) if isinstance(v, str) else False).astype(bool)
    if isinstance(source, str) and source.strip():
        mask &= items["source"].eq(source.strip())
    return mask


def preview_rule(items: pd.DataFrame, field: str, match_type: str, pattern: str, source: str | None,
                 actor: Actor) -> pd.Series:
    """The items a new rule would catch: admins only, checked before any pattern runs."""
    _admin(actor)
    return rule_mask(items, field, match_type, pattern, source)


def preview_counts(items: pd.DataFrame, field: str, match_type: str, pattern: str, source: str | None,
                   actor: Actor) -> tuple[int, int]:
    """How many items a new rule would catch, and how many of those are still unlinked (the form's caption)."""
    caught = preview_rule(items, field, match_type, pattern, source, actor)
    return int(caught.sum()), int((caught & items["objective_id"].isna()).sum())


def rule_matches(items: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """(item id, rule id, objective id) for every item a rule catches; the oldest matching rule wins."""
    found = []
    taken = pd.Series(False, index=items.index)
    for rule in rules.sort_values("id").to_dict("records"):
        mask = rule_mask(items, rule["field"], rule["match_type"], rule["pattern"], rule.get("source")) & ~taken
        taken |= mask
        found.append(pd.DataFrame({"item_id": items.loc[mask, "id"].astype(int), "rule_id": int(rule["id"]),
                                   "objective_id": int(rule["objective_id"])}))
    if not found:
        return pd.DataFrame(columns=["item_id", "rule_id", "objective_id"])
    return pd.concat(found, ignore_index=True)


def rule_counts(items: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Per rule: items it catches, those still unlinked, those it already links (a pattern RE2 refuses: 0)."""
    out = rules.copy()
    if rules.empty:
        return out.assign(matches=[], unlinked=[], linked_here=[])
    matches, unlinked, here = [], [], []
    for rule in rules.to_dict("records"):
        try:
            mask = rule_mask(items, rule["field"], rule["match_type"], rule["pattern"], rule.get("source"))
        except ValueError:
            mask = pd.Series(False, index=items.index)
        matches.append(int(mask.sum()))
        unlinked.append(int((mask & items["objective_id"].isna()).sum()))
        here.append(int((mask & items["objective_id"].eq(rule["objective_id"])).sum()))
    return out.assign(matches=matches, unlinked=unlinked, linked_here=here)


# --------------------------------------------------------------------------- rules
def add_rule(engine: Engine, field: str, match_type: str, pattern: str, objective: str, user: Actor,
             source: str | None = None) -> int:
    """Create an active rule (validated: known objective, sound pattern); audited. Admins only."""
    _admin(user)
    user = actor_name(user)
    field = str(field or "").strip()
    if not field:
        raise EditRefused("Alignment rule, column 'field': choose the field the rule tests.")
    try:
        compile_rule(match_type, pattern)
    except ValueError as exc:
        raise EditRefused(f"Alignment rule, column 'pattern': {exc}.") from None
    with engine.begin() as conn:
        objective_id = _objective_id(conn, objective, "Alignment rule, column 'objective'")
        values = {"field": field, "match_type": match_type, "pattern": str(pattern).strip(), "source": source or None,
                  "objective_id": objective_id, "active": True, "created_by": user, "created_at": utcnow()}
        rule_id = tables.insert_returning_id(conn, "alignmentrule", values)
        tables.audit(conn, user=user, action="create", entity="alignmentrule", entity_id=rule_id,
                   after={**{k: v for k, v in values.items() if k != "created_at"}, "objective": objective})
        tables.bump_data_version(conn)
    return rule_id


def set_rule_active(engine: Engine, rule_id: int, active: bool, user: Actor) -> None:
    """Switch a rule on or off (off: new imports and "apply" skip it; its links stay); audited. Admins only."""
    _admin(user)
    user = actor_name(user)
    with engine.begin() as conn:
        before = _rule(conn, rule_id)
        writes.update_rows(conn, "alignmentrule", [(rule_id, {"active": bool(active)})])
        tables.audit(conn, user=user, action="edit", entity="alignmentrule", entity_id=rule_id,
                   before={"active": bool(before["active"])}, after={"active": bool(active)})
        tables.bump_data_version(conn)


def delete_rule(engine: Engine, rule_id: int, user: Actor) -> None:
    """Remove a rule; the links it made stay (undo the batch that applied it to remove those)."""
    _admin(user)
    user = actor_name(user)
    with engine.begin() as conn:
        before = _rule(conn, rule_id)
        tables.delete_ids(conn, "alignmentrule", [rule_id])
        tables.audit(conn, user=user, action="delete", entity="alignmentrule", entity_id=rule_id,
                   before={k: plain(v) for k, v in before.items()})
        tables.bump_data_version(conn)


def apply_rules(engine: Engine, user: Actor, rule_ids: list[int] | None = None) -> dict[str, Any]:
    """Link every still-unlinked item an active rule catches; items already linked are never re-pointed."""
    _admin(user)
    with edit_batch(engine, actor_name(user), "Alignment rules applied") as eb:
        rules = alignment_queries.rules_frame(eb.conn, active_only=True)
        if rule_ids is not None:
            rules = rules[rules["id"].isin(rule_ids)]
        linked = _link_by_rules(eb.conn, eb, rules, alignment_queries.rule_candidates(eb.conn))
        return {"linked": linked, "batch_id": eb.batch_id if linked else None,
                "rules": int(len(rules))}


def on_batch_committed(event: BatchCommitted) -> dict[str, dict[str, int]]:
    """Subscriber (core.store.events): new work items meet the active rules inside the import's transaction."""
    if event.kind != "work_items" or not event.inserted:
        return {}
    linked = apply_rules_on_import(event.conn, event.batch_id, event.user)
    return {"alignment rules": {"linked": linked}} if linked else {}


def apply_rules_on_import(conn: Connection, batch_id: int, user: str | None) -> int:
    """Inside an import's transaction: link the items this batch created that an active rule catches.

    The items are new in this batch, so undoing the import removes them and their links together.
    """
    rules = alignment_queries.rules_frame(conn, active_only=True)
    if rules.empty:
        return 0
    items = alignment_queries.rule_candidates(conn, batch_id)
    matches = _unlinked_matches(items, rules)
    if matches.empty:
        return 0
    writes.update_rows(conn, "workitem", [(int(i), {"objective_id": int(o)})
                                        for i, o in zip(matches["item_id"], matches["objective_id"])])
    counts = matches.groupby("rule_id").size()
    tables.audit(conn, user=user, action="link", entity="importbatch", entity_id=batch_id,
               detail=f"alignment rules linked {len(matches)} new item(s): "
                      + ", ".join(f"rule #{r}: {n}" for r, n in counts.items()))
    return int(len(matches))


def _unlinked_matches(items: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    unlinked = items[items["objective_id"].isna()]
    if unlinked.empty or rules.empty:
        return pd.DataFrame(columns=["item_id", "rule_id", "objective_id"])
    return rule_matches(unlinked, _valid_rules(rules))


def _valid_rules(rules: pd.DataFrame) -> pd.DataFrame:
    ok = []
    for r in rules.to_dict("records"):
        try:
            compile_rule(r["match_type"], r["pattern"])
            ok.append(True)
        except ValueError:
            ok.append(False)
    return rules[ok]


def _link_by_rules(conn: Connection, eb: EditBatch, rules: pd.DataFrame, items: pd.DataFrame) -> int:
    matches = _unlinked_matches(items, rules)
    if matches.empty:
        return 0
    eb.notes.extend(f"rule #{r}: {n}" for r, n in matches.groupby("rule_id").size().items())
    return eb.update("workitem", [(int(i), {"objective_id": int(o)})
                                  for i, o in zip(matches["item_id"], matches["objective_id"])], action="link")


def rule_fields(attribute_names: list[str]) -> list[str]:
    """Every field a rule can test: the mapped item fields, then the kept attributes."""
    return list(ITEM_FIELDS) + [a for a in attribute_names if a not in ITEM_FIELDS]


# --------------------------------------------------------------------------- links
def link_items(engine: Engine, links: list[Link], user: Actor, what: str = "Alignment: linked work"
               ) -> dict[str, int | None]:
    """Set objective and/or owner of many items in one transaction; a bad code or name refuses the lot."""
    if not links:
        return {"changed": 0, "batch_id": None}
    with edit_batch(engine, actor_name(user), what) as eb:
        viewer = checked(user)
        if viewer is not None:  # managers link their own team's work only
            teams = alignment_queries.item_teams(eb.conn, [link.item_id for link in links])
            require_team(viewer, set(teams.values()), "items")
        objectives = resolve.objectives(eb.conn)
        people = tables.name_lookup(eb.conn, "person")
        changes = []
        for n, link in enumerate(links, start=1):
            values: dict[str, Any] = {}
            if link.set_objective:
                values["objective_id"] = _lookup({k: objectives.id_of[c] for k, c in objectives.by_text.items()},
                                                 link.objective, name_key(link.objective or ""),
                                                 f"Linked work, row {n}, column 'objective'", "objective code")
            if link.set_owner:
                values["owner_id"] = _lookup(people, link.owner, name_key(link.owner or ""),
                                             f"Linked work, row {n}, column 'owner'", "person")
            if values:
                changes.append((int(link.item_id), values))
        changed = eb.update("workitem", changes, action="link")
        return {"changed": changed, "batch_id": eb.batch_id if changed else None}


def _admin(actor: Actor) -> None:
    """Rules touch every team's work: admins manage them (a trusted CLI caller passes a plain name)."""
    viewer = checked(actor)
    if viewer is not None:
        require_admin(viewer)


def _lookup(table: dict[str, int], shown: str | None, key: str, where: str, noun: str) -> int | None:
    """The id ``shown`` names, None for a blank cell; refused when it names nothing."""
    if is_blank(shown):
        return None
    if key not in table:
        raise EditRefused(f"{where}: there is no {noun} '{shown}'.")
    return table[key]


def _objective_id(conn: Connection, code: str, where: str) -> int:
    found = resolve.objectives(conn).id(code)
    if found is None:
        raise EditRefused(f"{where}: there is no objective code '{code}'.")
    return found


def _rule(conn: Connection, rule_id: int) -> dict[str, Any]:
    rules = alignment_queries.rules_frame(conn)
    found = rules[rules["id"] == rule_id]
    if found.empty:
        raise NotFound(f"There is no alignment rule {rule_id}.")
    return found.iloc[0].to_dict()
