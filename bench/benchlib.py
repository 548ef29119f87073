"""Helpers shared by the benchmark scripts: child processes, peak memory, medians, table lines.

Not a benchmark itself (run_all.py runs only ``bench_*.py``).
"""
from __future__ import annotations

import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
Result = dict[str, Any]


class CaseFailed(RuntimeError):
    """A child process crashed (not a target miss)."""


# --------------------------------------------------------------------------- child side
def peak_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def vmhwm_mb() -> float | None:
    """VmHWM (peak resident set) from /proc/self/status in MB; None where there is no /proc."""
    try:
        return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024
    except (OSError, AttributeError):
        return None


def reset_peak() -> bool:
    """Start VmHWM again from the current resident set (Linux ≥ 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- parent side
def run_child(script: Path, case: str, path: Path, limit: int | None = None, timeout: float | None = None,
              env: dict[str, str] | None = None) -> Result:
    """``script --child CASE PATH`` in a fresh interpreter (cwd and PYTHONPATH = repo root); last stdout line is JSON.

    Raises subprocess.TimeoutExpired, or CaseFailed when the child crashes.
    """
    cmd = [sys.executable, str(script), "--child", case, str(path)]
    if limit:
        cmd += ["--limit", str(limit)]
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=child_env, timeout=timeout)
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = [line[:300] for line in proc.stderr.strip().splitlines()[-15:]]
        raise CaseFailed(f"{case} on {path.name} exited with {proc.returncode}:\n    " + "\n    ".join(tail))
    return json.loads(proc.stdout.strip().splitlines()[-1])


TIMED_KEYS = ("seconds", "reimport_seconds", "update_seconds", "peak_mb", "first_peak_mb", "update_peak_mb",
              "vmhwm_mb")


def median_result(runs: list[Result]) -> Result:
    """First run's data with the timing and memory keys replaced by their medians."""
    out = dict(runs[0])
    for key in TIMED_KEYS:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    out["all_seconds"] = [round(r["seconds"], 4) for r in runs]
    return out


def print_row(name: str, seconds: float, floor: float | None, peak: float | None, extra: str = "") -> None:
    ratio = f"{seconds / floor:.2f}×" if floor else "-"
    mem = f"{peak:.0f}" if peak is not None else ""
    print(f"  {name:30} {seconds:9.2f} {ratio:>9} {mem:>9}  {extra}".rstrip(), flush=True)


def environment() -> dict[str, str]:
    import pandas
    import sqlalchemy

    return {"python": platform.python_version(), "pandas": pandas.__version__, "sqlalchemy": sqlalchemy.__version__,
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"}
