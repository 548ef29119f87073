"""The people package's reads: who may still be merged, what points at them, their aliases, recent merges.

Bound parameters only. Every reference is found from the models' foreign keys, so a table that gains an
owner or a team later is re-pointed by a merge without a change here.
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.people.identity import propose_merges
from core.store import tables
from core.store.values import is_blank, name_key

KINDS = ("person", "team")


def alias_table(kind: str) -> sa.Table:
    return tables.table(f"{kind}alias")


def target_column(kind: str) -> str:
    """The alias table's column naming the survivor (personalias.person_id, teamalias.team_id)."""
    return f"{kind}_id"


def references(kind: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to ``kind`` outside its alias table: what a merge re-points."""
    found = []
    for name, t in sorted(tables.T.items()):
        if name == f"{kind}alias":
            continue
        found += [(name, fk.parent.name) for fk in t.foreign_keys if fk.column.table.name == kind]
    return sorted(found)


def retired_ids(conn: Connection, kind: str) -> set[int]:
    """Rows a merge retired: nothing points at them and their names lead to the survivor."""
    a = alias_table(kind)
    return {int(r[0]) for r in conn.execute(sa.select(a.c.merged_id).where(a.c.merged_id.is_not(None)))}


def reference_counts(conn: Connection, kind: str) -> dict[int, int]:
    """Rows pointing at each person or team, over every reference (the survivor tie-break, the page's figures)."""
    counts: dict[int, int] = {}
    for name, column in references(kind):
        c = tables.table(name).c[column]
        for ident, n in conn.execute(sa.select(c, sa.func.count()).where(c.is_not(None)).group_by(c)):
            counts[int(ident)] = counts.get(int(ident), 0) + int(n)
    return counts


def candidates_frame(engine: Engine, kind: str) -> pd.DataFrame:
    """Live (not retired) people or teams with their e-mail (people) and how many rows point at them."""
    t = tables.table(kind)
    columns = [t.c.id, t.c.name] + ([t.c.email] if kind == "person" else [])
    with engine.connect() as conn:
        retired = retired_ids(conn, kind)
        counts = reference_counts(conn, kind)
        result = conn.execute(sa.select(*columns).order_by(t.c.name))
        frame = pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))
    frame = frame[~frame["id"].isin(retired)].reset_index(drop=True)
    frame["references"] = frame["id"].map(counts).fillna(0).astype(int)
    return frame


def referencing_ids(conn: Connection, table_name: str, column: str, ids: Sequence[int]) -> list[int]:
    t = tables.table(table_name)
    out: list[int] = []
    for chunk in tables.chunks(list(ids)):
        out += [int(r[0]) for r in conn.execute(sa.select(t.c.id).where(t.c[column].in_(list(chunk))))]
    return out


def aliases_of(conn: Connection, kind: str, ids: Sequence[int]) -> pd.DataFrame:
    """Alias rows leading to these people or teams (an earlier merge into a row now merged itself)."""
    a = alias_table(kind)
    return tables.read_table(conn, a.name, a.c[target_column(kind)].in_(list(ids)))


def alias_keys(conn: Connection, kind: str) -> set[str]:
    a = alias_table(kind)
    return {r[0] for r in conn.execute(sa.select(a.c.name_key))}


def recent_merges(engine: Engine, kind: str, limit: int = 50) -> pd.DataFrame:
    """Confirmed aliases, newest first: the name merged, the survivor, when, by whom and the batch that undoes it."""
    a, t, b = alias_table(kind), tables.table(kind), tables.table("importbatch")
    stmt = (sa.select(a.c.name.label("alias"), t.c.name.label("survivor"), b.c.created_at.label("merged_at"),
                      b.c.user.label("by"), a.c.created_batch_id.label("batch"))
            .join(t, t.c.id == a.c[target_column(kind)]).join(b, b.c.id == a.c.created_batch_id, isouter=True)
            .order_by(a.c.created_batch_id.desc(), a.c.name).limit(limit))
    return tables.read_frame(engine, stmt, dates=("merged_at",))


def person_named(engine: Engine, names: Sequence[object]) -> str | None:
    """The live person these names are (an account's display name, e-mail, user name: the first that tells),
    by the resolution every reader uses: name keys and confirmed aliases first (``tables.name_lookup``, where a
    merged name leads to its survivor), else identity's own rules ("Shah, Priya", an e-mail, "P. Shah" when only
    one person fits, never a one-letter guess). None when no one is meant for sure: a wrong "me" edits another
    person's work."""
    given = [str(n) for n in names if not is_blank(n)]
    with engine.connect() as conn:
        lookup = tables.name_lookup(conn, "person")
        for name in given:
            if (found := lookup.get(name_key(name))) is not None:
                return tables.person_name(conn, found)
    people = candidates_frame(engine, "person")
    for name in given:
        probe = pd.concat([people, pd.DataFrame([{"id": -1, "name": name, "references": 0}])], ignore_index=True)
        groups = propose_merges(probe)
        mine = groups[groups["id"].eq(-1) | groups["survivor_id"].eq(-1)]
        if mine.empty:
            continue
        group = groups[groups["group"] == mine["group"].iloc[0]]
        if group["check"].any():  # a typo's guess is for an admin to confirm, not for sign-in to assume
            continue
        survivor = int(group["survivor_id"].iloc[0])
        if survivor == -1:  # the name is written out more fully than any row: the most used row it fits
            survivor = int(group.sort_values(["references", "id"], ascending=[False, True])["id"].iloc[0])
        return str(people.set_index("id").at[survivor, "name"])
    return None
