"""Editing the strategy in place: objectives, KPIs, incentives and expected effects.

The Strategy page hands over the table as loaded and the table as edited; this
module works out what changed, resolves names and codes to ids, validates every
cell (naming the table, row and column of a problem) and writes it all as one
edit batch, or nothing at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import (
    AccessDenied,
    Actor,
    Viewer,
    actor_name,
    checked,
    require_owner,
    require_writer,
)
from core.errors import EditRefused
from core.store import tables
from core.store.edits import edit_batch
from core.store.grid import diff_rows
from core.store.models import RAG_VALUES
from core.store.values import is_blank, is_missing, name_key, named_people, plain
from core.strategy import queries as strategy_queries
from core.strategy import resolve


@dataclass(frozen=True)
class Column:
    """An editable column: how the page shows it and how it is stored."""

    name: str  # column of the editable frame
    db: str  # column of the table
    kind: str = "text"  # text | number | person | team | objective | kpi | choice
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None


@dataclass(frozen=True)
class Entity:
    """An editable table: its database table, its label in messages, its columns and what makes a row unique."""

    table: str
    label: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...]  # columns (frame names) that identify a row

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


ENTITIES: dict[str, Entity] = {
    "objectives": Entity("objective", "Objectives", (
        Column("code", "code", required=True), Column("title", "title", required=True),
        Column("description", "description"), Column("parent", "parent_id", "objective"),
        Column("owner", "owner_id", "person"), Column("period", "period"),
        Column("weight", "weight", "number", minimum=0), Column("reported_rag", "reported_rag", "choice",
                                                                  choices=RAG_VALUES)), ("code",)),
    "kpis": Entity("kpi", "KPIs", (
        Column("code", "code", required=True), Column("name", "name", required=True), Column("unit", "unit"),
        Column("direction", "direction", "choice", choices=("higher", "lower")),
        Column("baseline", "baseline", "number"), Column("target", "target", "number"),
        Column("tolerance", "tolerance", "number", minimum=0), Column("owner", "owner_id", "person"),
        Column("objective", "objective_id", "objective")), ("code",)),
    "incentives": Entity("incentive", "Incentives", (
        Column("team", "team_id", "team", required=True), Column("kpi", "kpi_id", "kpi", required=True),
        Column("weight", "weight", "number", minimum=0)), ("team", "kpi")),
    "effects": Entity("expectedeffect", "Expected effects", (
        Column("objective", "objective_id", "objective", required=True),
        Column("kpi", "kpi_id", "kpi", required=True),
        Column("effect", "effect", "choice", required=True, choices=("up", "down")), Column("note", "note")),
        ("objective", "kpi")),
}


@dataclass
class EditResult:
    """What a save did, for the page's message and the undo link."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    batch_id: int | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


# --------------------------------------------------------------------------- pure: what needs an owner
def strategy_flags(objectives: pd.DataFrame, kpis: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """Accountability gaps: objectives with no or several owners, KPIs with no owner or that no objective uses."""
    rows: list[dict[str, Any]] = []
    for r in objectives.to_dict("records"):
        text = r.get("owner_text")
        named = named_people(text)
        if is_blank(r.get("owner")) and len(named) > 1:
            rows.append({"what": "objective", "code": r["code"], "title": r["title"],
                         "problem": f"{len(named)} owners named ('{text}'): exactly one must be accountable"})
        elif is_blank(r.get("owner")):
            rows.append({"what": "objective", "code": r["code"], "title": r["title"],
                         "problem": "no accountable owner"})
    used = set(effects["kpi"].dropna()) if "kpi" in effects else set()
    for r in kpis.to_dict("records"):
        if is_blank(r.get("owner")):
            rows.append({"what": "KPI", "code": r["code"], "title": r["name"], "problem": "no owner"})
        if is_blank(r.get("objective")) and r["code"] not in used:
            rows.append({"what": "KPI", "code": r["code"], "title": r["name"],
                         "problem": "no objective uses it (not the measure of an objective, no expected effect)"})
    return pd.DataFrame(rows, columns=["what", "code", "title", "problem"])


@dataclass(frozen=True)
class Choices:
    """What the Strategy page's pickers offer: the names and codes a cell may hold."""

    people: list[str]  # accountable owners
    objectives: list[str]  # codes
    kpis: list[str]  # codes
    teams: list[str]  # incentivised teams: those already incentivised and those people belong to


def editor_choices(frames: dict[str, pd.DataFrame], people: pd.DataFrame) -> Choices:
    """Choices from strategy_queries.editable_frames and tables.people_frame, each sorted."""
    teams = {*frames["incentives"]["team"].dropna(), *people["team"].dropna()}
    return Choices(sorted(people["name"].dropna().unique()), sorted(frames["objectives"]["code"]),
                   sorted(frames["kpis"]["code"]), sorted(teams))


def unowned_objectives(flags: pd.DataFrame) -> list[str]:
    """Codes of the objectives strategy_flags lists (no accountable owner, or several named)."""
    return flags.loc[flags["what"].eq("objective"), "code"].tolist()


def objective_id(objectives: pd.DataFrame, code: str) -> int:
    """The id of the objective ``code`` in the table the page shows."""
    return int(objectives.loc[objectives["code"] == code, "id"].iloc[0])


# --------------------------------------------------------------------------- writes
def save_edits(engine: Engine, entity: str, original: pd.DataFrame, edited: pd.DataFrame,
               user: Actor) -> EditResult:
    """Save what the editor changed (core.store.grid.diff_rows, rows matched on the hidden id) as one edit batch;
    raises EditRefused (nothing written) on a bad cell."""
    spec = ENTITIES[entity]
    inserts, updates, deletes = diff_rows(original, edited, [c.name for c in spec.columns])
    return apply_changes(engine, entity, inserts, updates, deletes, user)


def set_field(engine: Engine, entity: str, row_id: int, column: str, value: Any, user: Actor) -> EditResult:
    """One cell (e.g. an objective's accountable owner) through the same validation and audit as the editor."""
    return apply_changes(engine, entity, [], [(row_id, {column: value})], [], user)


def apply_changes(engine: Engine, entity: str, inserts: list[tuple[int, dict[str, Any]]],
                  updates: list[tuple[int, dict[str, Any]]], deletes: list[int], user: Actor) -> EditResult:
    """Check the actor's rights, then validate and write one table's inserts, updates and deletes as one edit batch."""
    spec = ENTITIES[entity]
    result = EditResult()
    if not (inserts or updates or deletes):
        return result
    viewer = checked(user)
    with edit_batch(engine, actor_name(user), f"Strategy page: {spec.label.lower()}") as eb:
        if viewer is not None:
            _check_rights(eb.conn, viewer, spec, inserts, updates, deletes)
        resolve = _Resolver(eb.conn)
        for row_id in deletes:
            _refuse_if_referenced(eb.conn, spec, row_id)
        changes = [(row_id, _to_db(spec, values, resolve, f"row with id {row_id}")) for row_id, values in updates]
        new_rows = []
        for pos, values in inserts:
            missing = [c.name for c in spec.columns if c.required and is_blank(values.get(c.name))]
            if missing:
                raise EditRefused(f"{spec.label}, new row {pos}, column '{missing[0]}': a value is needed.")
            new_rows.append(_to_db(spec, values, resolve, f"new row {pos}"))
        _check_unique(eb.conn, spec, changes, new_rows, deletes)
        result.deleted = eb.delete(spec.table, deletes)
        result.updated = eb.update(spec.table, changes)
        for values in new_rows:
            eb.insert(spec.table, values)
            result.inserted += 1
        if spec.table == "objective":
            _check_no_cycles(eb.conn)
        result.batch_id = eb.batch_id if eb.changed else None
    return result


def _check_rights(conn: Connection, viewer: Viewer, spec: Entity, inserts: list, updates: list,
                  deletes: list) -> None:
    """Admins edit the whole strategy; managers change only the objectives and KPIs they own."""
    require_writer(viewer)
    if viewer.role == "admin":
        return
    if spec.table not in ("objective", "kpi") or inserts or deletes:
        raise AccessDenied(f"{spec.label}: only an admin can add or delete rows or change incentives and expected "
                           "effects; managers change the objectives and KPIs they own. Nothing was changed.")
    require_owner(viewer, set(tables.owner_names(conn, spec.table, [i for i, _ in updates]).values()),
                  spec.label.lower())


class _Resolver:
    """Names and codes → ids, loaded once per edit."""

    def __init__(self, conn: Connection) -> None:
        self.people = tables.name_lookup(conn, "person")
        self.teams = tables.name_lookup(conn, "team")
        self.objectives, self.kpis = resolve.objectives(conn), resolve.kpis(conn)

    def lookup(self, kind: str) -> Callable[[str], int | None]:
        if kind in ("objective", "kpi"):
            return (self.objectives if kind == "objective" else self.kpis).id
        table = self.people if kind == "person" else self.teams
        return lambda text: table.get(name_key(text))


def _to_db(spec: Entity, values: dict[str, Any], resolve: _Resolver, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        col = spec.column(name)
        at = f"{spec.label}, {where}, column '{name}'"
        if is_blank(value):
            if col.required:
                raise EditRefused(f"{at}: a value is needed.")
            out[col.db] = None
            if col.db == "owner_id":
                out["owner_text"] = None
            continue
        if col.kind == "number":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise EditRefused(f"{at}: '{value}' is not a number.") from None
            if col.minimum is not None and number < col.minimum:
                raise EditRefused(f"{at}: {number:g} is below the minimum of {col.minimum:g}.")
            out[col.db] = number
        elif col.kind == "choice":
            text = str(value).strip().lower()
            if text not in col.choices:
                raise EditRefused(f"{at}: '{value}' is not one of {', '.join(col.choices)}.")
            out[col.db] = text
        elif col.kind in ("person", "team", "objective", "kpi"):
            if col.kind == "person" and len(named_people(value)) > 1:
                raise EditRefused(f"{at}: '{value}' names several people; exactly one accountable owner is needed.")
            ident = resolve.lookup(col.kind)(str(value))
            if ident is None:
                noun = {"person": "person", "team": "team", "objective": "objective code", "kpi": "KPI code"}[col.kind]
                raise EditRefused(f"{at}: there is no {noun} '{value}'.")
            out[col.db] = ident
            if col.db == "owner_id":
                out["owner_text"] = " ".join(str(value).split())
        else:
            out[col.db] = " ".join(str(value).split()) if col.name in ("code",) else str(value).strip()
    return out


def _refuse_if_referenced(conn: Connection, spec: Entity, row_id: int) -> None:
    refs = (strategy_queries.objective_references(conn, row_id) if spec.table == "objective"
            else strategy_queries.kpi_references(conn, row_id) if spec.table == "kpi" else {})
    if refs:
        what = ", ".join(f"{n} {label}" for label, n in refs.items())
        raise EditRefused(f"{spec.label}: the row with id {row_id} cannot be deleted while {what} refer to it; "
                          "re-link or delete those first.")


def _check_unique(conn: Connection, spec: Entity, changes: list[tuple[int, dict[str, Any]]],
                  new_rows: list[dict[str, Any]], deletes: list[int]) -> None:
    """Codes (or team + KPI, objective + KPI) stay unique after the edit; checked before anything is written."""
    cols = [spec.column(u).db for u in spec.unique]
    table = tables.read_table(conn, spec.table).set_index("id")
    table = table.drop(index=[d for d in deletes if d in table.index])
    for row_id, values in changes:
        for c in cols:
            if c in values and row_id in table.index:
                table.at[row_id, c] = values[c]
    planned = pd.concat([table[cols], pd.DataFrame([{c: r.get(c) for c in cols} for r in new_rows], columns=cols)],
                        ignore_index=True)
    keys = planned.apply(lambda col: col.map(lambda v: str(v).strip().casefold() if isinstance(v, str) else v))
    dup = keys.duplicated(keep=False)
    if dup.any():
        shown = planned.loc[dup, cols].iloc[0].tolist()
        raise EditRefused(f"{spec.label}: {' + '.join(spec.unique)} must be unique, and "
                          f"{' / '.join(map(str, map(plain, shown)))} would appear twice.")


def _check_no_cycles(conn: Connection) -> None:
    table = tables.read_table(conn, "objective")
    parent = dict(zip(table["id"], table["parent_id"]))
    codes = dict(zip(table["id"], table["code"]))
    for start in parent:
        seen, node = set(), start
        while not is_missing(node):
            if node in seen:
                raise EditRefused(f"Objectives: objective '{codes[start]}' would be its own ancestor; "
                                  "choose another parent.")
            seen.add(node)
            node = parent.get(int(node))


def objective_tree(objectives: pd.DataFrame) -> pd.DataFrame:
    """Objectives in tree order (pillar, its objectives, their key results) with a ``level`` and an indented label."""
    children: dict[Any, list[str]] = {}
    for code, parent in zip(objectives["code"], objectives["parent"]):
        children.setdefault(None if is_blank(parent) else parent, []).append(code)
    order: list[tuple[str, int]] = []

    def walk(parent: Any, level: int, seen: set[str]) -> None:
        for code in sorted(children.get(parent, [])):
            if code not in seen:
                seen.add(code)
                order.append((code, level))
                walk(code, level + 1, seen)

    seen: set[str] = set()
    walk(None, 0, seen)
    order += [(c, 0) for c in objectives["code"] if c not in seen]  # parents missing: shown at the top level
    pos = {c: (i, lvl) for i, (c, lvl) in enumerate(order)}
    out = objectives.copy()
    out["level"] = out["code"].map(lambda c: pos[c][1])
    out["tree"] = [("    " * lvl + ("└ " if lvl else "") + f"{c} {t}") for c, t, lvl in
                   zip(out["code"], out["title"], out["level"])]
    rank = [pos[c][0] for c in out["code"]]
    return out.iloc[sorted(range(len(out)), key=rank.__getitem__)].reset_index(drop=True)
