"""Issue 18, finding 4: every cell, header and sheet name of every workbook and CSV the product writes is formula-safe.

One test runs every writer on hostile text (including a formula-like *header*, the rejected-rows case) and checks
that every workbook has the one header style; a second checks that no module but core/reporting/export_safety.py
creates a workbook or writes a CSV, so a new writer cannot skip it.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pandas as pd
import pytest

from core.reporting.export_safety import (
    FORMULA_PREFIXES,
    HEADER_COLOUR,
    SheetSpec,
    csv_bytes,
    write_xlsx,
)
from core.store import batches, tables

ROOT = Path(__file__).resolve().parents[1]
FORMULA = '=HYPERLINK("http://x","y")'
HOSTILE = [FORMULA, "@SUM(1)", "+1+1", "-2+3", "\tcmd", "\rcmd"]


def _dangerous(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def check_xlsx(data: bytes) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    bad = [f"sheet name {ws.title!r}" for ws in wb.worksheets if _dangerous(ws.title)]
    for ws in wb.worksheets:
        bad += [f"{ws.title}!{c.coordinate}: {c.value!r}" for row in ws.iter_rows() for c in row
                if c.data_type == "f" or _dangerous(c.value)]
    return bad


def check_csv(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return [f"row {r}: {v!r}" for r, row in enumerate(rows, start=1) for v in row if _dangerous(v)]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({FORMULA: HOSTILE, "@team": pd.Categorical(HOSTILE), "n": range(len(HOSTILE))})


def _rejected(engine: Any) -> bytes:
    """The Import history's download: a CSV whose header is formula-like, with one bad row."""
    from core.importing import review
    from core.importing.service import import_file
    from tests.conftest import csv_bytes as make_csv

    import_file(engine, make_csv([["Ref", "Task", "Due", FORMULA, "@SUM(1)"], ["A-1", "ok", "2026-01-05", "x", "y"],
                                  ["A-2", "bad", "not a date", "=1+1", "@x"]]), "hostile.csv", user="t")
    rows = batches.rejected_rows_of(engine, int(batches.list_batches(engine)["id"].max()))
    assert rows, "the bad row was not rejected"
    return review.rejected_workbook(rows)


def _steering_pack(engine: Any) -> bytes:
    from core.reporting.report import build_report, load_frames
    from core.reporting.steering_pack import steering_pack
    from core.sample import load_sample

    load_sample(engine)
    with engine.begin() as conn:  # hostile names everywhere the pack writes them
        conn.execute(tables.T["team"].update().values(name=FORMULA + " " + tables.T["team"].c.name))
        conn.execute(tables.T["workitem"].update().values(title="@" + tables.T["workitem"].c.title))
        conn.execute(tables.T["importbatch"].update().values(source="=" + tables.T["importbatch"].c.source))
    return steering_pack(build_report(load_frames(engine)))


def _tracker_export(engine: Any) -> bytes:
    from core.work.excel import export_items
    from tests.work.test_tracker import TRACKER, load, team_id

    load(engine, [[*TRACKER[0][:-1], FORMULA], *[[*r[:-1], "@x"] for r in TRACKER[1:]]])
    ops = team_id(engine, "Ops")
    with engine.begin() as conn:
        conn.execute(tables.T["workitem"].update().values(title="=1+" + tables.T["workitem"].c.title))
    return export_items(engine, ops, "ops_tracker", "Ann").data


def _cli_export(engine: Any, tmp_path: Path, db_url: str) -> bytes:
    import os
    import subprocess
    import sys

    _steering_pack(engine)
    out = tmp_path / "pack.xlsx"
    subprocess.run([sys.executable, "-m", "core", "export", "--xlsx", str(out)], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": db_url}, capture_output=True, timeout=300)
    return out.read_bytes()


WRITERS: dict[str, tuple[str, Callable[..., bytes]]] = {
    "write_xlsx (formatted sheets, My work, rejected rows)": ("xlsx", lambda e, t, u: write_xlsx(
        [SheetSpec(FORMULA, [FORMULA, "@h", "ok"], [[v, v, 1] for v in HOSTILE])])),
    "csv_bytes (every table's CSV, the audit export)": ("csv", lambda e, t, u: csv_bytes(_frame())),
    "rejected rows workbook": ("xlsx", lambda e, t, u: _rejected(e)),
    "steering pack": ("xlsx", lambda e, t, u: _steering_pack(e)),
    "My work export": ("xlsx", lambda e, t, u: _tracker_export(e)),
    "python -m core export": ("xlsx", _cli_export),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_writes_no_live_formula(writer: str, engine, tmp_path, db_url) -> None:
    kind, build = WRITERS[writer]
    data = build(engine, tmp_path, db_url)
    bad = check_xlsx(data) if kind == "xlsx" else check_csv(data)
    assert not bad, f"{writer}: {bad[:5]}"
    if kind == "xlsx":  # the hostile text is there, as text
        text = [c.value for ws in openpyxl.load_workbook(io.BytesIO(data)) for row in ws.iter_rows() for c in row]
        assert any(isinstance(v, str) and v.lstrip("'").startswith(("=", "@")) for v in text)
        assert header_colours(data) == {HEADER_COLOUR}, f"{writer}: one header style for every workbook"


def header_colours(data: bytes) -> set[str]:
    """The fill colours of every filled cell (only header rows are filled; RAG colours are conditional formats)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {c.fill.fgColor.rgb[-6:] for ws in wb for row in ws.iter_rows() for c in row if c.fill.fill_type == "solid"}


def test_no_other_module_creates_a_workbook_or_writes_a_csv() -> None:
    writes = re.compile(r"\bWorkbook\(|\.to_csv\(|\bcsv\.writer\(|\bcsv\.DictWriter\(|\.to_excel\(|xlsxwriter")
    offenders = [str(p.relative_to(ROOT)) for folder in ("core", "ui", "pages") for p in (ROOT / folder).rglob("*.py")
                 if p.name != "export_safety.py" and writes.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"write workbooks and CSV through core.reporting.export_safety: {offenders}"
