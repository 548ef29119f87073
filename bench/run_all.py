"""`make bench`: run every bench/bench_*.py in turn with this Python, forwarding the command-line arguments.

Exits non-zero only if a script crashes; a missed target is informational and never fails the run.

    .venv/bin/python bench/run_all.py [--rows N] [--quick] [--only floor,naive,throughline]
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    """Every benchmark script, in name order."""
    return sorted(HERE.glob("bench_*.py"))


def run(script: Path, args: list[str]) -> int:
    """Run one script with this interpreter; print a header and its wall time; return its exit code."""
    print(f"\n=== {script.name} {' '.join(args)} ===", flush=True)
    t0 = time.perf_counter()
    code = subprocess.call([sys.executable, str(script), *args], cwd=HERE.parent)
    status = "ok" if code == 0 else f"CRASHED (exit {code})"
    print(f"=== {script.name}: {status}, {time.perf_counter() - t0:.1f} s ===", flush=True)
    return code


def main(argv: list[str]) -> int:
    failed = [s.name for s in scripts() if run(s, argv) != 0]
    if failed:
        print(f"\nbench: {len(failed)} script(s) crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
