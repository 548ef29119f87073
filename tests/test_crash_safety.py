"""Crash safety: SIGKILL an import of 100,000 rows at 20 moments; the database is wholly before or wholly after.

Marked slow (about a minute and a half); CI runs it.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, sqlite_only

ROWS = 100_000
KILLS = 20


def tracker(path: Path) -> Path:
    n = ROWS
    pd.DataFrame({"Key": [f"K-{i}" for i in range(n)], "Title": "Crash-test task",
                  "Status": ["Done", "To do", "In progress", "Blocked"] * (n // 4), "Owner": "Ann Lee",
                  "Due": pd.date_range("2026-01-01", periods=n, freq="min").strftime("%Y-%m-%d")}).to_csv(path,
                                                                                                          index=False)
    return path


def counts(db: Path) -> tuple[int, int, str]:
    con = sqlite3.connect(db)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        items = con.execute("select count(*) from workitem where source='crash'").fetchone()[0]
        batches = con.execute("select count(*) from importbatch where source='crash'").fetchone()[0]
    finally:
        con.close()
    return items, batches, ok


def start_import(db: Path, csv: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "core", "import", str(csv), "--source", "crash"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
@sqlite_only("file-level crash recovery of the embedded database")
def test_killed_imports_leave_the_database_wholly_before_or_after(tmp_path: Path) -> None:
    csv = tracker(tmp_path / "tracker.csv")
    base = tmp_path / "base.db"
    seed = tmp_path / "seed.csv"
    seed.write_text("Ref,Task\nS-1,Seed row\n")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{base}", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "core", "import", str(seed)], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    # how long a full import takes here, so the kills land before, during and after the commit
    db = tmp_path / "live.db"
    shutil.copy(base, db)
    t0 = time.perf_counter()
    assert start_import(db, csv).wait(timeout=300) == 0
    full = time.perf_counter() - t0
    rng = random.Random(20261123)
    outcomes = {"before": 0, "after": 0}
    for _ in range(KILLS):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(base, db)
        proc = start_import(db, csv)
        time.sleep(rng.uniform(0.3, full * 1.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        items, batches, ok = counts(db)
        assert ok == "ok"
        assert (items, batches) in ((0, 0), (ROWS, 1)), (items, batches)
        outcomes["after" if items else "before"] += 1
    assert outcomes["before"] > 0  # the kills did land before the commit
    # after the last kill the next import succeeds
    proc = start_import(db, csv)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()[-500:] if proc.stderr else ""
    assert counts(db)[0] == ROWS
    print(f"\ncrash safety: {KILLS} kills, {outcomes['before']} before and {outcomes['after']} after the commit; "
          f"full import {full:.1f} s")
