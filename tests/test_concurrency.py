"""Concurrency: 10 writer processes importing and undoing, 10 readers computing views, at once (bounded to ~30 s).

Checks: no lost write (every writer's source ends as its last action left it, and every batch it committed is in
the database), no lock error surfaced, and no reader ever saw a batch half committed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.store.db import make_engine, upgrade_schema
from tests.conftest import ROOT

WRITERS, READERS, SECONDS = 10, 10, 20.0
ROWS = 200


@pytest.mark.slow
def test_writers_and_readers_at_once_lose_nothing(db_url: str, tmp_path: Path) -> None:
    upgrade_schema(make_engine(db_url))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = str(Path(__file__).parent / "helpers" / "concurrency_worker.py")
    procs = [subprocess.Popen([sys.executable, worker, role, db_url, str(i), str(SECONDS), str(tmp_path)], env=env,
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role, n in (("writer", WRITERS), ("reader", READERS)) for i in range(n)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=SECONDS + 90)
        assert p.returncode == 0, err[-2000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    writers = [r for r in reports if r["role"] == "writer"]
    readers = [r for r in reports if r["role"] == "reader"]
    assert [e for r in reports for e in r["errors"]] == []  # no "database is locked", nothing refused
    assert [p for r in readers for p in r["partial"]] == []  # never a half-committed batch
    engine = make_engine(db_url)
    with engine.connect() as conn:
        for w in writers:
            rows = conn.execute(sa.text("select count(*) from workitem where source=:s"), {"s": f"w{w['id']}"}).scalar()
            assert rows == (ROWS if w["last"]["action"] == "import" else 0), w
            committed = conn.execute(sa.text("select count(*) from importbatch where source=:s"),
                                     {"s": f"w{w['id']}"}).scalar()
            assert committed == w["imports"]
    total = sum(w["imports"] + w["undos"] for w in writers)
    assert total >= WRITERS and sum(r["reads"] for r in readers) >= READERS
    print(f"\nconcurrency ({engine.dialect.name}): {sum(w['imports'] for w in writers)} imports and "
          f"{sum(w['undos'] for w in writers)} undos committed by {WRITERS} writers, "
          f"{sum(r['reads'] for r in readers)} view computations by {READERS} readers, 0 lost, 0 lock errors")
