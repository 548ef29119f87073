"""Every file of the bad-input corpus through the command line, each in its own process.

Each gives a named error (exit 2, database unchanged: same table checksums) or an import (exit 0, or 1 with the
rejected rows listed), never a traceback, with peak memory under 512 MB.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import repo
from core.db import make_engine, upgrade_schema
from tests.conftest import ROOT

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"
# Peak memory from VmHWM: the high-water mark of this process's own memory. (ru_maxrss is kept across exec on
# Linux, so a child forked from a large pytest process would report the parent's size.)
RUNNER = ("import re, sys; from core.cli import main; rc = main(sys.argv[1:]); "
          "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
          "print('PEAK_MB', hwm // 1024, file=sys.stderr); sys.exit(rc)")


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_named_error_or_correct_import_within_512_mb(db_url: str, name: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    before = repo.table_checksums(engine)
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", RUNNER, "import", str(BAD / name), "--json"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr
    peak = int(proc.stderr.rsplit("PEAK_MB", 1)[1].split()[0])
    assert peak < 512, f"{name}: {peak} MB"
    if proc.returncode == 2:
        message = proc.stderr if not proc.stdout.strip() else json.loads(proc.stdout)["error"]
        assert name in message
        assert repo.table_checksums(engine) == before
    else:
        out = json.loads(proc.stdout)
        assert out["inserted"] >= 1 and proc.returncode == (1 if out["rejected"] else 0)
        assert all(i["row"] and i["message"] for i in out["issues"] if i["severity"] == "error")
