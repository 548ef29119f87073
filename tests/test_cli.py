"""`python -m core`: exit codes, --json output, undo, batches, stats; never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SERVICENOW, csv_bytes


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    env.pop("THROUGHLINE_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def test_servicenow_import_json_reimport_and_undo(db_url: str) -> None:
    first = cli(db_url, "import", str(SERVICENOW), "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert {k: out[k] for k in ("kind", "rows_read", "inserted", "updated", "unchanged", "rejected")} == {
        "kind": "work_items", "rows_read": 5998, "inserted": 890, "updated": 0, "unchanged": 0, "rejected": 0}
    assert out["status_events"] == 3418 and out["issues"] == [] and out["seconds"] > 0
    stats_before = json.loads(cli(db_url, "stats", "--json").stdout)
    again = json.loads(cli(db_url, "import", str(SERVICENOW), "--json").stdout)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 890)
    stats_after = json.loads(cli(db_url, "stats", "--json").stdout)
    assert stats_after["workitem"] == stats_before["workitem"] == 890
    assert stats_after["statusevent"] == stats_before["statusevent"]
    assert cli(db_url, "undo", str(out["batch_id"])).returncode == 0
    stats = json.loads(cli(db_url, "stats", "--json").stdout)
    assert stats["workitem"] == 0 and stats["statusevent"] == 0 and stats["person"] == 0
    batches = json.loads(cli(db_url, "batches", "--json").stdout)
    assert [b["state"] for b in batches] == ["committed", "undone"]


def test_exit_1_when_rows_rejected_and_2_with_strict(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([["Ref", "Task", "Due"], ["A", "x", "13/01/2026"], ["B", "y", "soon"]]))
    strict = cli(db_url, "import", str(path), "--strict", "--json")
    assert strict.returncode == 2 and json.loads(strict.stdout)["committed"] is False
    proc = cli(db_url, "import", str(path), "--json")
    assert proc.returncode == 1
    issues = json.loads(proc.stdout)["issues"]
    assert issues == [{"sheet": None, "row": 3, "column": "Due", "value": "soon",
                       "message": "Due: 'soon' is not a date in a format this column uses", "severity": "error"}]


@pytest.mark.parametrize("content,needle", [(b"%PDF-1.4 fake", "PDF"), (b"", "empty"), (b"x", "no data rows"),
                                            (b"foo,bar\n1,2\n", "required field")])
def test_exit_2_with_a_named_problem(db_url: str, tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    proc = cli(db_url, "import", str(path))
    assert proc.returncode == 2 and needle in proc.stderr and "upload.xlsx" in proc.stderr


def test_map_flags_and_kind(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(csv_bytes([["Thing", "Who", "When"], ["Fix printer", "Ann", "2026-01-05"]]))
    proc = cli(db_url, "import", str(path), "--kind", "work_items", "--map", "title=Thing", "--map", "owner=Who",
               "--map", "due_at=When", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["inserted"] == 1
    bad = cli(db_url, "import", str(path), "--map", "title=Nope")
    assert bad.returncode == 2 and "no column 'Nope'" in bad.stderr


def test_undo_unknown_batch(db_url: str) -> None:
    proc = cli(db_url, "undo", "999")
    assert proc.returncode == 2 and "no import batch 999" in proc.stderr


@pytest.mark.parametrize("content, needle", [(b"%PDF-1.4 not a sheet", "PDF document"),
                                             (b"Key,Title,Effort\nK-1,Item,-3\n", "nothing was imported")])
def test_json_prints_one_object_for_a_refusal_too(db_url: str, tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    proc = cli(db_url, "import", str(path), "--json", "--map", "effort=Effort")
    out = json.loads(proc.stdout)  # exactly one JSON object, nothing else on stdout
    assert proc.returncode == 2 and out["committed"] is False and needle in out["error"]
