"""Shared fixtures: a fresh migrated SQLite database per test, real files from ../shared/realdata."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import openpyxl
import pytest

from core.db import make_engine, upgrade_schema

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


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'throughline.db'}"


@pytest.fixture
def engine(db_url: str):
    eng = make_engine(db_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()


def xlsx_bytes(sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None) -> bytes:
    """A workbook written in memory: {sheet name: rows}, optional merged ranges per sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
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
