"""Every file of the bad-input corpus through the command line, each in its own process.

Each gives a named error (exit 2, database unchanged: same table checksums) or an import (exit 0, or 1 with the
rejected rows listed), never a traceback, with peak memory under 512 MB. The large files (a 1,048,576-row sheet,
a 16,384-column sheet, 10 MB cells, a 470 MB-unpacked workbook) are generated once per session, not committed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.store import tables
from core.store.db import make_engine, upgrade_schema
from tests.conftest import ROOT
from tests.fixtures.make_bad_files import write_large

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"
# Peak memory from VmHWM: the high-water mark of this process's own memory. (ru_maxrss is kept across exec on
# Linux, so a child forked from a large pytest process would report the parent's size.)
RUNNER = ("import re, sys; from core.cli import main; rc = main(sys.argv[1:]); "
          "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
          "print('PEAK_MB', hwm // 1024, file=sys.stderr); sys.exit(rc)")


@dataclass
class Outcome:
    returncode: int
    message: str  # the error (exit 2), else ""
    result: dict  # the JSON summary of an import, else {}
    peak_mb: int


def import_in_child(path: Path, db_url: str) -> Outcome:
    """Run `python -m core import PATH --json` in a fresh process; check the rules every bad file obeys."""
    engine = make_engine(db_url)
    upgrade_schema(engine)
    before = tables.table_checksums(engine)
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", RUNNER, "import", str(path), "--json"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr
    peak = int(proc.stderr.rsplit("PEAK_MB", 1)[1].split()[0])
    assert peak < 512, f"{path.name}: {peak} MB"
    if proc.returncode == 2:
        message = proc.stderr if not proc.stdout.strip() else json.loads(proc.stdout)["error"]
        assert path.name in message
        assert tables.table_checksums(engine) == before
        return Outcome(2, message, {}, peak)
    out = json.loads(proc.stdout)
    assert out["inserted"] >= 1 and proc.returncode == (1 if out["rejected"] else 0)
    assert all(i["row"] and i["message"] for i in out["issues"] if i["severity"] == "error")
    return Outcome(proc.returncode, "", out, peak)


def largest_stored_text(engine: sa.Engine) -> int:
    """The longest value stored in any column of any table, as text."""
    longest = 0
    with engine.connect() as conn:
        for table in tables.T.values():
            for row in conn.execute(sa.select(table)):
                longest = max([longest, *(len(str(v)) for v in row)])
    return longest


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_named_error_or_correct_import_within_512_mb(db_url: str, name: str) -> None:
    import_in_child(BAD / name, db_url)


@pytest.fixture(scope="session")
def large_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_large(tmp_path_factory.mktemp("large-bad-files"))


def test_a_million_row_sheet_is_refused_before_it_is_parsed(db_url: str, large_files: dict[str, Path]) -> None:
    out = import_in_child(large_files["rows_1048576.xlsx"], db_url)
    assert out.returncode == 2
    assert "sheet 'Tracker'" in out.message and "5,242,880 cells (1,048,576 rows)" in out.message
    assert "at most 1,000,000 rows" in out.message and "THROUGHLINE_MAX_CELLS" in out.message


def test_a_sheet_16384_columns_wide_is_refused(db_url: str, large_files: dict[str, Path]) -> None:
    out = import_in_child(large_files["columns_16384.xlsx"], db_url)
    assert out.returncode == 2 and "16,384 columns wide (up to column XFD, row 4)" in out.message


def test_a_stray_format_on_the_last_excel_row_does_not_stop_the_import(db_url: str,
                                                                      large_files: dict[str, Path]) -> None:
    out = import_in_child(large_files["stray_cell_on_row_1048576.xlsx"], db_url)
    assert out.returncode == 0 and out.result["inserted"] == 2 and out.result["rows_read"] == 2


@pytest.mark.parametrize("name", ["single_cell_10mb.csv", "single_cell_10mb.xlsx"])
def test_a_10_mb_cell_rejects_its_row_and_names_the_column(db_url: str, large_files: dict[str, Path],
                                                           name: str) -> None:
    out = import_in_child(large_files[name], db_url)
    assert out.returncode == 1 and out.result["inserted"] == 1 and out.result["rejected"] == 1
    (issue,) = [i for i in out.result["issues"] if i["severity"] == "error"]
    assert issue["row"] == 3 and issue["column"] == "Task"
    assert "10,485,760 characters, above the limit of 32,767" in issue["message"]
    assert len(issue["value"]) <= 201
    engine = make_engine(db_url)
    assert largest_stored_text(engine) < 40_000  # the rejected row is kept clipped, not 10 MB


def test_a_workbook_unpacking_to_470_mb_is_refused_by_total_size(db_url: str, large_files: dict[str, Path]) -> None:
    out = import_in_child(large_files["zip_bomb_total_size.xlsx"], db_url)
    assert out.returncode == 2 and "unpacks to 470 MB, above the limit of 400 MB" in out.message


def test_the_compression_ratio_bomb_is_refused_by_ratio(db_url: str) -> None:
    out = import_in_child(BAD / "zip_bomb.xlsx", db_url)
    assert out.returncode == 2 and "looks like a zip bomb" in out.message


@pytest.mark.parametrize("name", ["far_apart_cells.xlsx", "cells_without_references.xlsx"])
def test_a_tiny_file_asking_for_a_huge_grid_is_refused_not_fatal(db_url: str, name: str) -> None:
    """These few hundred bytes made the xlsx parser abort the whole process (a 50 GB allocation)."""
    out = import_in_child(BAD / name, db_url)
    assert out.returncode == 2 and "columns wide" in out.message
