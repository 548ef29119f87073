"""Several replicas started at once against one empty database: each upgrades the schema on start, and exactly
one of them may create it (the others wait for it, then find nothing to do)."""
from __future__ import annotations

import os
import subprocess
import sys

from core.store import tables
from core.store.db import current_revision, head_revision, make_engine
from tests.conftest import ROOT

START = ("import sys; from core.store.db import make_engine, upgrade_schema; "
         "upgrade_schema(make_engine(sys.argv[1])); print('ok')")


def test_six_replicas_starting_together_migrate_one_database_once(db_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", START, db_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err[-800:] for _, err in results]
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    assert tables.data_version(engine) == 0
