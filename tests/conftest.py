"""Shared fixtures: a fresh migrated SQLite database per test, real files from ../shared/realdata."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Callable, Iterator

import openpyxl
import pytest

from core.store.db import make_engine, upgrade_schema

ROOT = Path(__file__).resolve().parent.parent
def _realdata() -> Path:
    """../shared/realdata next to the repository (THROUGHLINE_REALDATA overrides, e.g. for a clone elsewhere)."""
    import os

    if os.environ.get("THROUGHLINE_REALDATA"):
        return Path(os.environ["THROUGHLINE_REALDATA"])
    for parent in ROOT.parents:
        if (parent / "shared" / "realdata").is_dir():
            return parent / "shared" / "realdata"
    return ROOT.parent / "shared" / "realdata"


REALDATA = _realdata()
SERVICENOW = REALDATA / "servicenow_incident_event_log_sample.csv"
GMPP = REALDATA / "uk_gmpp_projects_2022.csv"
BAROMETER = REALDATA / "fr_barometre_kpis_national.csv"


SERVER_URL = os.environ.get("THROUGHLINE_TEST_DATABASE_URL", "").strip()  # e.g. a throwaway PostgreSQL
# The background refresh (core.reporting.refresher) would race each test's own writes and outlive its database;
# tests/reporting/test_background_refresh.py turns it on where it is the subject.
os.environ.setdefault("THROUGHLINE_BACKGROUND_REFRESH", "0")


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new database on the test server when one is set."""
    if not SERVER_URL:
        yield f"sqlite:///{tmp_path / 'throughline.db'}"
        return
    import uuid

    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def sqlite_only(reason: str):  # type: ignore[no-untyped-def]
    return pytest.mark.skipif(bool(SERVER_URL), reason=f"SQLite only: {reason}")


@pytest.fixture
def engine(db_url: str):
    eng = make_engine(db_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()


def xlsx_bytes(sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None,
               states: dict[str, str] | None = None) -> bytes:
    """A workbook written in memory: {sheet name: rows}, optional merged ranges and visibility per sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
        ws.sheet_state = (states or {}).get(name, "visible")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[object]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


@pytest.fixture
def make_xlsx() -> Callable[..., bytes]:
    return xlsx_bytes


@pytest.fixture
def make_csv() -> Callable[..., bytes]:
    return csv_bytes


def plain(markdown: str) -> str:
    """What the user reads in a Markdown element: imported text is shown escaped (core.text.inert)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)
