"""Shared tables and the few queries every package needs: the table registry, the data version,
the audit trail, lookups by name or code, plain reads and deletes, counts and checksums.

Functions take a ``Connection`` (the caller owns the transaction) or an ``Engine`` (they open a
short one). Bound parameters only.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store import models as m

T = {name: table for name, table in m.SQLModel.metadata.tables.items()}
DERIVED = frozenset({"viewsnapshot"})  # rebuilt from the others at will (core.store.snapshots): not data


ENTITY_TABLES = ("team", "person", "objective", "kpi", "kpireading", "incentive", "expectedeffect", "workitem")


CHUNK = 900  # stays under SQLite's bound-parameter limit for IN (...) lists


def table(name: str) -> sa.Table:
    return T[name]


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def data_version(conn_or_engine: Connection | Engine) -> int:
    def read(conn: Connection) -> int:
        row = conn.execute(sa.select(T["appmeta"].c.value).where(T["appmeta"].c.key == "data_version")).first()
        return int(row[0]) if row else 0

    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return read(conn)
    return read(conn_or_engine)


def bump_data_version(conn: Connection) -> int:
    """Every commit calls this, so cached views keyed on the version refresh.

    One atomic UPDATE (value + 1): two concurrent commits never get the same version.
    """
    meta = T["appmeta"]
    incremented = sa.cast(sa.cast(meta.c.value, sa.Integer) + 1, sa.String)
    updated = conn.execute(sa.update(meta).where(meta.c.key == "data_version").values(value=incremented)).rowcount
    if not updated:
        conn.execute(sa.insert(meta).values(key="data_version", value="1"))
    return data_version(conn)


SCHEMA_LOCK_KEY = 7_126_001  # any constant; one advisory lock shared by every Throughline process


def lock_schema_changes(conn: Connection) -> None:
    """Serialise schema upgrades of replicas starting together, until ``conn``'s transaction ends.

    PostgreSQL only: without it, two replicas both saw an empty database and the second failed creating tables
    the first had just made. (SQLite's BEGIN IMMEDIATE already serialises writers.)
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def ensure_data_version(engine: Engine) -> None:
    """Create the data_version row once, so concurrent commits only ever update it."""
    meta = T["appmeta"]
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(meta.c.key).where(meta.c.key == "data_version")).first() is None:
                conn.execute(sa.insert(meta).values(key="data_version", value="0"))
    except sa.exc.IntegrityError:
        pass  # another process created it first


def audit(conn: Connection, *, user: str | None, action: str, entity: str, entity_id: int | None = None,
          before: dict | None = None, after: dict | None = None, detail: str | None = None) -> None:
    conn.execute(sa.insert(T["auditevent"]).values(at=m.utcnow(), user=user, action=action, entity=entity,
                                                   entity_id=entity_id, before=before, after=after, detail=detail))


def name_lookup(conn: Connection, table_name: str) -> dict[str, int]:
    """name_key → id for teams and people, their confirmed aliases included (core.people.merges).

    The importer, the editors and sign-in all turn names into ids here, so a merge confirmed once maps every later
    mention by itself. A merged (retired) row's own key leads to its survivor; an alias never shadows a live row's
    own name key. Own keys come last, so reversing the dict gives each id its own key.
    """
    t, a = T[table_name], T.get(f"{table_name}alias")
    own = {k: i for i, k in conn.execute(sa.select(t.c.id, t.c.name_key))}
    if a is None:
        return own
    aliases = conn.execute(sa.select(a.c.name_key, a.c[f"{table_name}_id"], a.c.merged_id)).all()
    if not aliases:
        return own
    retired = {m for _k, _i, m in aliases if m is not None}
    live = {k: i for k, i in own.items() if i not in retired}
    return {**{k: i for k, i, _m in aliases if k not in live}, **live}


def ids_by(conn: Connection, table_name: str, column: str) -> dict[Any, int]:
    t = T[table_name]
    return {v: i for i, v in conn.execute(sa.select(t.c.id, t.c[column]))}


def read_table(conn: Connection, table_name: str, where: sa.ColumnElement[bool] | None = None) -> pd.DataFrame:
    t = T[table_name]
    stmt = sa.select(t) if where is None else sa.select(t).where(where)
    result = conn.execute(stmt)
    return pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))


def driver_rows(conn: Connection, stmt: sa.Select) -> list[tuple]:
    """A select's rows as the driver gives them: plain tuples of stored values (SQLite: dates as ISO text, JSON as
    text), with no result processing. On SQLite 3× faster than Core's rows for 100,000 rows; use it for columns
    stored as they are read (ids, keys, hashes) or convert whole columns afterwards. Other databases: Core."""
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in conn.execute(stmt).fetchall()]
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})  # IN lists expanded
    params = [compiled.params[k] for k in compiled.positiontup or ()]
    cursor = conn.connection.driver_connection.cursor()  # the connection's own: same transaction
    try:
        return cursor.execute(str(compiled), params).fetchall()
    finally:
        cursor.close()


def rows_by_id(conn: Connection, table_name: str, ids: Sequence[int]) -> pd.DataFrame:
    t = T[table_name]
    frames = [read_table(conn, table_name, t.c.id.in_(list(chunk))) for chunk in chunks(list(ids))]
    return pd.concat(frames, ignore_index=True) if frames else read_table(conn, table_name, sa.false())


def insert_returning_id(conn: Connection, table_name: str, values: dict[str, Any]) -> int:
    return int(conn.execute(sa.insert(T[table_name]).values(**values)).inserted_primary_key[0])


def delete_ids(conn: Connection, table_name: str, ids: Sequence[int]) -> int:
    t = T[table_name]
    n = 0
    for chunk in chunks(list(ids)):
        n += conn.execute(sa.delete(t).where(t.c.id.in_(list(chunk)))).rowcount
    return n


def delete_where(conn: Connection, table_name: str, column: str, value: Any) -> int:
    t = T[table_name]
    return conn.execute(sa.delete(t).where(t.c[column] == value)).rowcount


def ids_where(conn: Connection, table_name: str, column: str, value: Any) -> list[int]:
    t = T[table_name]
    return [r[0] for r in conn.execute(sa.select(t.c.id).where(t.c[column] == value))]


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for name, t in sorted(T.items()) if name not in DERIVED}


def table_checksums(engine: Engine) -> dict[str, str]:
    """A digest of every row of every table: tests use it to prove an operation changed nothing."""
    import hashlib

    out = {}
    with engine.connect() as conn:
        for name, t in sorted(T.items()):
            if name in DERIVED:
                continue
            rows = conn.execute(sa.select(t).order_by(*t.primary_key.columns)).fetchall()
            out[name] = hashlib.sha256(json.dumps([list(map(str, r)) for r in rows]).encode()).hexdigest()
    return out


def ids_where_in(conn: Connection, table_name: str, column: str, values: Sequence[Any]) -> list[int]:
    t = T[table_name]
    return [r[0] for r in conn.execute(sa.select(t.c.id).where(t.c[column].in_(list(values))))]


def read_frame(engine: Engine, stmt: sa.Select, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows as a DataFrame; date columns arrive raw (no per-row conversion) and are parsed once per column."""
    stmt = stmt.with_only_columns(*[sa.type_coerce(c, sa.String).label(c.name) if c.name in dates else c
                                    for c in stmt.selected_columns], maintain_column_froms=True)
    with engine.connect() as conn:
        result = conn.execute(stmt)
        df = pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))
    for c in dates:
        df[c] = pd.to_datetime(df[c], errors="coerce", format="mixed")
    return df


def audit_many(conn: Connection, user: str | None, records: list[dict[str, Any]]) -> None:
    """Audit entries of one change in one executemany (a rule can link thousands of items)."""
    if records:
        now = m.utcnow()
        base = {"entity_id": None, "before": None, "after": None, "detail": None}
        conn.execute(sa.insert(T["auditevent"]), [{**base, **r, "at": now, "user": user} for r in records])


def live(table_name: str) -> sa.ColumnElement[bool]:
    """Rows of ``person`` or ``team`` not retired by a merge (core.people): pickers and lists show these only."""
    t, a = T[table_name], T[f"{table_name}alias"]
    return t.c.id.not_in(sa.select(a.c.merged_id).where(a.c.merged_id.is_not(None)))


def people_frame(engine: Engine) -> pd.DataFrame:
    p, t = T["person"], T["team"]
    return read_frame(engine, sa.select(p.c.id, p.c.name, p.c.name_key, p.c.role_title, t.c.name.label("team"))
                  .join(t, t.c.id == p.c.team_id, isouter=True).where(live("person")).order_by(p.c.name))


def teams_frame(engine: Engine) -> pd.DataFrame:
    t = T["team"]
    return read_frame(engine, sa.select(t.c.id, t.c.name, t.c.name_key).where(live("team")).order_by(t.c.name))


def person_name(conn: Connection, person_id: Any) -> str | None:
    if person_id is None or (isinstance(person_id, float) and pd.isna(person_id)):
        return None
    p = T["person"]
    return conn.execute(sa.select(p.c.name).where(p.c.id == int(person_id))).scalar_one_or_none()


def owner_names(conn: Connection, table_name: str, ids: Sequence[int]) -> dict[int, str | None]:
    """Row id → its owner's name, for objectives and KPIs (who may change them)."""
    t, p = T[table_name], T["person"]
    out: dict[int, str | None] = {}
    for chunk in chunks(list(ids)):
        stmt = sa.select(t.c.id, p.c.name).join(p, p.c.id == t.c.owner_id, isouter=True).where(t.c.id.in_(list(chunk)))
        out.update({int(i): n for i, n in conn.execute(stmt)})
    return out
