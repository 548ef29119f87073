"""Confirmed merges: every reference to the duplicates re-pointed to the survivor, their names kept as aliases.

One edit batch per confirmation (core.store.edits): one transaction, a before-image of every row touched, an
audit entry per change, undone from Import history like any edit. The duplicate row is retired, not deleted:
undo restores the references before it re-inserts deleted rows, so a deleted person would leave the restored
work items pointing at nobody for that moment and the foreign keys refuse it. A retired row is known by its
alias (``merged_id``); ``tables.name_lookup`` sends its name, and every alias, to the survivor.

Admins only: a merge moves work between people's load bars across every team.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.accounts import queries as account_queries
from core.accounts.auth import Actor, actor_name, checked, require_admin
from core.errors import EditRefused, NotFound
from core.people import queries
from core.store import changelog, tables, writes
from core.store.edits import EditBatch, edit_batch
from core.store.values import is_blank, name_key, plain

LABEL = {"person": "person", "team": "team"}
PLURAL = {"person": "people", "team": "teams", "workitem": "work items", "objective": "objectives", "kpi": "KPIs",
          "signal": "signals", "incentive": "incentives", "dependency": "dependencies", "user": "accounts"}
FILLED = {"person": ("email", "role_title", "team_id"), "team": ("stale_days",)}  # survivor's blanks taken over
BOOKKEEPING = {"id", "created_batch_id", "last_batch_id", "batch_id"}


@dataclass
class MergeResult:
    """What one confirmation did, for the page's message."""

    batch_id: int | None
    survivor: str
    merged: list[str]
    repointed: dict[str, int] = field(default_factory=dict)  # "workitem.owner_id" → rows re-pointed

    @property
    def summary(self) -> str:
        moved = ", ".join(f"{n} {PLURAL.get(ref.split('.')[0], ref)}" for ref, n in self.repointed.items() if n)
        names = ", ".join(f"“{n}”" for n in self.merged)  # names hold commas ("Shah, Priya")
        return (f"Merged {names} into “{self.survivor}” ({moved or 'nothing pointed at them'}"
                f"{' re-pointed' if moved else ''}). "
                f"Undo it from Import history, batch #{self.batch_id}.")


def merge_people(engine: Engine, survivor_id: int, duplicate_ids: list[int], actor: Actor,
                 evidence: dict[int, str] | None = None) -> MergeResult:
    """Merge people into ``survivor_id``: owners of work, objectives, KPIs and signals re-pointed; names kept."""
    return _merge(engine, "person", survivor_id, duplicate_ids, actor, evidence or {})


def merge_teams(engine: Engine, survivor_id: int, duplicate_ids: list[int], actor: Actor,
                evidence: dict[int, str] | None = None) -> MergeResult:
    """Merge teams into ``survivor_id``: work, people, incentives, dependencies and accounts re-pointed."""
    return _merge(engine, "team", survivor_id, duplicate_ids, actor, evidence or {})


def _merge(engine: Engine, kind: str, survivor_id: int, duplicate_ids: list[int], actor: Actor,
           evidence: dict[int, str]) -> MergeResult:
    viewer = checked(actor)
    if viewer is not None:
        require_admin(viewer)
    dups = sorted({int(i) for i in duplicate_ids} - {int(survivor_id)})
    if not dups:
        raise EditRefused(f"Choose at least one {LABEL[kind]} to merge into the survivor "
                          "(it cannot merge into itself). Nothing was changed.")
    with engine.connect() as conn:
        survivor, rows = _checked_rows(conn, kind, int(survivor_id), dups)
    what = f"merge {PLURAL[kind]}: {' · '.join(rows['name'])} → {survivor['name']}"
    with edit_batch(engine, actor_name(actor), what) as eb:
        survivor, rows = _checked_rows(eb.conn, kind, int(survivor_id), dups)  # as they are inside the transaction
        result = MergeResult(None, str(survivor["name"]), [str(n) for n in rows["name"]])
        result.repointed = _repoint(eb, kind, int(survivor_id), dups, rows, str(survivor["name"]))
        touched = _keep_aliases(eb, kind, int(survivor_id), rows)
        _take_over_blanks(eb, kind, survivor, rows)
        _stamp(eb, kind, [*dups, *touched])
        for row in rows.to_dict("records"):
            tables.audit(eb.conn, user=eb.user, action="merge", entity=kind, entity_id=int(row["id"]),
                         before={"name": row["name"]}, after={"merged_into": survivor["name"],
                                                              f"{kind}_id": int(survivor_id)},
                         detail=evidence.get(int(row["id"])))
            eb.notes.append(f"{row['name']} → {survivor['name']}")
        result.batch_id = eb.batch_id
    return result


def _checked_rows(conn: Connection, kind: str, survivor_id: int, dups: list[int]) -> tuple[pd.Series, pd.DataFrame]:
    """The survivor and the duplicates, refused with the reason when any is missing or already merged."""
    found = tables.rows_by_id(conn, kind, [survivor_id, *dups]).set_index("id", drop=False)
    missing = [i for i in [survivor_id, *dups] if i not in found.index]
    if missing:
        raise NotFound(f"There is no {LABEL[kind]} #{', #'.join(map(str, missing))} any more (removed or undone "
                       "since the page was shown); reload the page. Nothing was changed.")
    retired = queries.retired_ids(conn, kind) & {survivor_id, *dups}
    if retired:
        names = ", ".join(str(found.loc[i, "name"]) for i in sorted(retired))
        raise EditRefused(f"{names} was already merged into another {LABEL[kind]}; undo that merge from Import "
                          "history first, or merge into the one it now maps to. Nothing was changed.")
    return found.loc[survivor_id], found.loc[dups]


def _repoint(eb: EditBatch, kind: str, survivor_id: int, dups: list[int], rows: pd.DataFrame,
             survivor_name: str) -> dict[str, int]:
    """Every row pointing at a duplicate now points at the survivor; a row that would then clash is dropped
    when it says exactly what the survivor's says, and refused otherwise."""
    moved: dict[str, int] = {}
    for table_name, column in queries.references(kind):
        ids = queries.referencing_ids(eb.conn, table_name, column, dups)
        if not ids:
            moved[f"{table_name}.{column}"] = 0
            continue
        same = _clashing_copies(eb.conn, table_name, column, survivor_id, dups, rows, survivor_name)
        eb.delete(table_name, same)
        keep = [i for i in ids if i not in set(same)]
        eb.update(table_name, [(i, {column: survivor_id}) for i in keep], action="merge")
        if table_name == "user":  # an account's team changed: its open sessions take the new team at once
            for user_id in keep:
                account_queries.bump_auth_version(eb.conn, user_id)
        moved[f"{table_name}.{column}"] = len(keep)
    return moved


def _clashing_copies(conn: Connection, table_name: str, column: str, survivor_id: int, dups: list[int],
                     rows: pd.DataFrame, survivor_name: str) -> list[int]:
    """Rows of duplicates that a unique constraint would make twins of another (both teams measured on one KPI)."""
    t = tables.table(table_name)
    keys = [uc for uc in t.constraints if isinstance(uc, sa.UniqueConstraint) and column in uc.columns]
    if not keys:
        return []
    frame = tables.read_table(conn, table_name, t.c[column].in_([survivor_id, *dups]))
    frame = frame.assign(_first=frame[column] != survivor_id).sort_values(["_first", "id"])
    payload = [c for c in t.c.keys() if c not in BOOKKEEPING and c != column]
    drop: list[int] = []
    for uc in keys:
        others = [c.name for c in uc.columns if c.name != column]
        kept: dict[tuple, dict[str, Any]] = {}
        for row in frame.to_dict("records"):
            k = tuple(plain(row[c]) for c in others)
            if k not in kept:
                kept[k] = row
                continue
            first = kept[k]
            differ = [c for c in payload if plain(first[c]) != plain(row[c])]
            if differ:
                names = {survivor_id: survivor_name, **{int(i): str(n) for i, n in zip(rows["id"], rows["name"])}}
                shown = ", ".join(f"{c}: {plain(first[c])} vs {plain(row[c])}" for c in differ)
                raise EditRefused(f"{names[int(first[column])]} and {names[int(row[column])]} both have a {table_name} "
                                  f"row with the same {', '.join(others)} ({', '.join(map(str, k))}) but different "
                                  f"values ({shown}). Make them agree or remove one (Strategy), then merge again. "
                                  "Nothing was changed.")
            drop.append(int(row["id"]))
    return sorted(set(drop))


def _keep_aliases(eb: EditBatch, kind: str, survivor_id: int, rows: pd.DataFrame) -> list[int]:
    """The duplicates' names (and a person's e-mail) as aliases of the survivor; aliases that led to a duplicate
    now lead to the survivor. Returns the rows retired earlier whose alias moved (stamped with this batch)."""
    target = queries.target_column(kind)
    table = queries.alias_table(kind).name
    earlier = queries.aliases_of(eb.conn, kind, [int(i) for i in rows["id"]])
    eb.update(table, [(int(i), {target: survivor_id}) for i in earlier["id"]], action="merge")
    taken = queries.alias_keys(eb.conn, kind) | set(tables.name_lookup(eb.conn, kind))
    for row in rows.to_dict("records"):
        eb.insert(table, {"name_key": row["name_key"], "name": row["name"], target: survivor_id,
                          "merged_id": int(row["id"])})
        email = row.get("email")
        if kind == "person" and not is_blank(email) and name_key(email) not in taken | {row["name_key"]}:
            eb.insert(table, {"name_key": name_key(email), "name": str(email).strip(), target: survivor_id,
                              "merged_id": None})
            taken.add(name_key(email))
    return [int(i) for i in earlier["merged_id"].dropna()]


def _take_over_blanks(eb: EditBatch, kind: str, survivor: pd.Series, rows: pd.DataFrame) -> None:
    """What the survivor lacks (an e-mail, a role, a team) from the first duplicate that has it; else the row is
    only stamped, so that undoing the import that created it waits for this merge to be undone first."""
    values = {}
    for column in FILLED[kind]:
        if is_blank(survivor[column]):
            given = [v for v in rows[column].tolist() if not is_blank(v)]
            if given:
                values[column] = plain(given[0])
    if values:
        eb.update(kind, [(int(survivor["id"]), values)], action="merge")
    else:
        _stamp(eb, kind, [int(survivor["id"])])


def _stamp(eb: EditBatch, kind: str, ids: list[int]) -> None:
    """Mark rows as last touched by this batch (before-image kept): undo of an earlier batch then refuses to
    delete a row this merge relies on, and this batch's undo puts the mark back."""
    ids = sorted(set(ids))
    if not ids:
        return
    before = tables.rows_by_id(eb.conn, kind, ids)
    changelog.changelog_add(eb.conn, eb.batch_id, kind, "update", before.to_dict("records"))
    writes.update_rows(eb.conn, kind, [(i, {"last_batch_id": eb.batch_id}) for i in ids])
    eb.updated += len(ids)
