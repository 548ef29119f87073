"""Backup and restore round trip through the command line (SQLite online backup API)."""
from __future__ import annotations

from pathlib import Path

from core.store import tables
from core.store.db import make_engine
from tests.conftest import GMPP, SERVICENOW, sqlite_only
from tests.test_cli import cli

DATA = ("workitem", "statusevent", "person", "team", "importbatch", "auditevent")


@sqlite_only("the online backup API is SQLite's; PostgreSQL uses pg_dump")
def test_backup_then_restore_brings_back_exactly_the_saved_state(db_url: str, tmp_path: Path) -> None:
    assert cli(db_url, "import", str(SERVICENOW)).returncode == 0
    engine = make_engine(db_url)
    saved = tables.table_checksums(engine)
    backup = tmp_path / "backup.db"
    proc = cli(db_url, "backup", str(backup))
    assert proc.returncode == 0 and "890 work items" in proc.stdout
    assert cli(db_url, "import", str(GMPP)).returncode == 0
    assert tables.table_counts(engine)["workitem"] == 1125
    proc = cli(db_url, "restore", str(backup))
    assert proc.returncode == 0, proc.stderr
    after = tables.table_checksums(make_engine(db_url))
    assert {t: after[t] for t in DATA if t != "auditevent"} == {t: saved[t] for t in DATA if t != "auditevent"}
    assert tables.table_counts(make_engine(db_url))["auditevent"] == tables.table_counts(
        make_engine(f"sqlite:///{backup}"))["auditevent"] + 1  # the restore itself is audited


@sqlite_only("SQLite backup files")
def test_restore_refuses_files_that_are_not_backups(db_url: str, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello")
    proc = cli(db_url, "restore", str(bogus))
    assert proc.returncode == 2 and "not a SQLite database" in proc.stderr
    assert cli(db_url, "backup", str(tmp_path / "b.db")).returncode == 0
    again = cli(db_url, "backup", str(tmp_path / "b.db"))
    assert again.returncode == 2 and "already exists" in again.stderr
