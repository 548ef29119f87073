"""Online backup and restore of the SQLite database (the sqlite3 backup API: consistent while the app runs).

PostgreSQL deployments use their own tools (pg_dump / pg_restore); the functions say so.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.errors import ThroughlineError
from core.store import tables

PG_HINT = ("This database is PostgreSQL: back it up with `pg_dump --format=custom --file=throughline.dump DBNAME` "
           "and restore with `pg_restore --clean --dbname=DBNAME throughline.dump`.")


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite":
        raise ThroughlineError(PG_HINT)
    return engine.url.database or ":memory:"


def backup(engine: Engine, target: str | Path) -> dict[str, int]:
    """Copy the live database to ``target`` page by page; returns the row counts it holds."""
    target = Path(target)
    if target.exists():
        raise ThroughlineError(f"'{target}' already exists; choose a new file name for the backup.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(_sqlite_path(engine))
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    return tables.table_counts(sa.create_engine(f"sqlite:///{target}"))


def restore(engine: Engine, source_file: str | Path, user: str | None = None) -> dict[str, int]:
    """Replace the live database's content with a backup (checked to be a Throughline database first)."""
    source_file = Path(source_file)
    if not source_file.is_file():
        raise ThroughlineError(f"There is no backup file '{source_file}'.")
    try:
        check = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
        names = {r[0] for r in check.execute("select name from sqlite_master where type='table'")}
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
        check.close()
    except sqlite3.DatabaseError as exc:
        raise ThroughlineError(f"'{source_file}' is not a SQLite database ({exc}).") from None
    if "alembic_version" not in names or "workitem" not in names:
        raise ThroughlineError(f"'{source_file}' is not a Throughline backup (no Throughline tables in it).")
    if ok != "ok":
        raise ThroughlineError(f"'{source_file}' is damaged (integrity check: {ok}); nothing was restored.")
    engine.dispose()
    src = sqlite3.connect(source_file)
    dest = sqlite3.connect(_sqlite_path(engine))
    try:
        with dest:
            src.backup(dest)
    finally:
        src.close()
        dest.close()
    from core.store.db import upgrade_schema

    upgrade_schema(engine)  # a backup from an older release is brought up to date
    with engine.begin() as conn:
        tables.audit(conn, user=user, action="restore", entity="database", detail=f"restored from {source_file.name}")
        tables.bump_data_version(conn)
    return tables.table_counts(engine)
