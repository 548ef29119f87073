"""Database: SQLite pragmas, BEGIN IMMEDIATE, migrations that keep rows, the data version."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from core.store import tables
from core.store.db import current_revision, head_revision, make_engine, upgrade_schema
from tests.conftest import sqlite_only


@sqlite_only("pragmas")
def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@sqlite_only("BEGIN IMMEDIATE is SQLite's; PostgreSQL locks rows")
def test_write_transactions_take_the_lock_at_begin(engine) -> None:
    """With BEGIN IMMEDIATE a second writer waits at BEGIN instead of failing mid-transaction."""
    order: list[str] = []
    with engine.begin() as conn:
        conn.execute(sa.text("select 1"))  # a read only: a deferred BEGIN would not hold the lock yet

        def other() -> None:
            with engine.begin() as c2:
                order.append("second writer began")
                tables.bump_data_version(c2)

        t = threading.Thread(target=other)
        t.start()
        t.join(0.5)
        order.append("first writer still open")
        tables.bump_data_version(conn)
    t.join(10)
    assert order == ["first writer still open", "second writer began"]
    assert tables.data_version(engine) == 2


def test_upgrade_from_an_old_revision_keeps_rows(db_url: str) -> None:
    eng = make_engine(db_url)
    upgrade_schema(eng, "0001")
    assert current_revision(eng) == "0001"
    with eng.begin() as conn:
        conn.execute(sa.text("insert into team (name, name_key) values ('Ops', 'ops')"))
    upgrade_schema(eng)
    assert current_revision(eng) == head_revision() != "0001"
    with eng.connect() as conn:
        assert conn.execute(sa.text("select name from team")).scalar_one() == "Ops"
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("statusevent")}
    assert "ix_statusevent_item_at" in indexes


def test_models_and_migrations_agree(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_data_version_bumps_on_each_call(engine) -> None:
    assert tables.data_version(engine) == 0
    with engine.begin() as conn:
        assert tables.bump_data_version(conn) == 1
        assert tables.bump_data_version(conn) == 2
    assert tables.data_version(engine) == 2
