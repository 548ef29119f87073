"""Engine creation, schema migrations and the data version.

SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE`` for every
transaction: measured here, that combination loses no update and raises no
"database is locked" with two writer processes (STACK_NOTES.md).
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from core.config import database_url, int_env

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
LOCK_WAIT_S = 120.0


def _sqlite_file(url: sa.engine.URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _install_sqlite_pragmas(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we send BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        begin_immediate(conn)


def begin_immediate(conn: sa.Connection) -> None:
    """Take SQLite's write lock at BEGIN, waiting up to LOCK_WAIT_S in all.

    busy_timeout alone is not first-come-first-served: with ten writers a writer can
    be passed over until its timeout expires. A failed BEGIN holds nothing, so it is
    simply tried again (with jitter) until the overall deadline.
    """
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa.exc.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + random.random() * 0.08)


def make_engine(url: str | None = None) -> Engine:
    """One engine per process; ``url`` defaults to ``DATABASE_URL`` or the SQLite file."""
    url = url or database_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Per process; replicas × (pool + overflow) must stay under the server's max_connections.
        return sa.create_engine(url, pool_pre_ping=True,
                                pool_size=int_env("THROUGHLINE_DB_POOL_SIZE", 5),
                                max_overflow=int_env("THROUGHLINE_DB_MAX_OVERFLOW", 10))
    path = _sqlite_file(parsed)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}}
    if path is None:
        kwargs["poolclass"] = StaticPool  # one shared in-memory database (tests)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)
    _install_sqlite_pragmas(engine)
    return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in place (creates it when empty); rows are kept."""
    from alembic import command

    from core.store.tables import lock_schema_changes

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        lock_schema_changes(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    if revision == "head":
        from core.store.tables import ensure_data_version

        ensure_data_version(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() or ""
