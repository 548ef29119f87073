"""Import benchmark: Throughline against a floor and a naive baseline, all measured in the same run.

Cases (each run in its own Python process, on a fresh temporary SQLite file):

  floor        pandas read (calamine for xlsx, read_csv for csv) + one SQLAlchemy Core
               ``conn.execute(insert(table), records)`` into a plain 12-column table, one transaction
  naive        pandas read (openpyxl for xlsx, read_csv for csv) + a SQLModel object and
               ``session.add`` per row, one commit (run once; extrapolated from a sample if too slow)
  throughline  ``core.importing.service.import_path`` (first import), then a re-import of the
               same unchanged file, then an updating re-import of its changed twin (every row
               changed in three columns), into the same database
  eventlog     a generated ServiceNow-shaped event log (120,000 rows × 36 columns at full size)
               imported at default settings, against ``pandas.read_csv`` of the same file

The cases themselves are in import_cases.py (child side); this script runs and reports them.

Usage:  .venv/bin/python bench/bench_import.py [--rows N] [--quick] [--only floor,naive,throughline,eventlog]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from benchlib import (CaseFailed, Result, environment, median_result, peak_mb, print_row,  # noqa: E402
                      run_child as _run_child)
from import_cases import CASES  # noqa: E402
from make_eventlog import ensure_eventlog  # noqa: E402
from make_tracker import DATA, HEADER, ensure_tracker  # noqa: E402

CASE_NAMES = ("floor", "naive", "throughline", "eventlog")
FORMATS = ("xlsx", "csv")
NAIVE_SAMPLE_ROWS = 20_000
EVENTLOG_ROWS_PER_TRACKER_ROW = 1.2  # 100,000 tracker rows (the default) ⇒ the full 120,000-row event log
EVENTLOG_GOALS = (8.0, 1024.0)  # × pandas.read_csv, peak MB
CPU_KEYS = ("cpu_seconds", "update_cpu_seconds")
RAISED_CELLS = {"THROUGHLINE_MAX_CELLS": "6000000"}  # only if the default cell limit refuses the log


# =========================================================================== child side: one case, one process
def child(case: str, path: str, limit: int | None) -> None:
    """Run one case on a fresh SQLite file in a temp dir; print its result as the last stdout line (JSON)."""
    with tempfile.TemporaryDirectory(prefix="throughline-bench-") as tmp:
        out = CASES[case](Path(path), Path(tmp) / "bench.db", limit)
    out["peak_mb"] = peak_mb()
    print(json.dumps(out), flush=True)


# =========================================================================== parent side: orchestration
@dataclass
class Measured:
    """One case on one format: median figures plus how they were obtained."""

    case: str
    fmt: str
    data: Result
    runs: int
    note: str = ""

    @property
    def seconds(self) -> float:
        return float(self.data["seconds"])


def run_child(case: str, path: Path, limit: int | None = None, timeout: float | None = None,
              env: dict[str, str] | None = None) -> Result:
    return _run_child(Path(__file__).resolve(), case, path, limit, timeout, env)


def measure_repeated(case: str, fmt: str, path: Path, repeat: int) -> Measured:
    """Median of ``repeat`` fresh-process runs (stops early if the case is skipped)."""
    runs: list[Result] = []
    for _ in range(repeat):
        r = run_child(case, path)
        if "skipped" in r:
            return Measured(case, fmt, r, 0)
        runs.append(r)
    return Measured(case, fmt, medians(runs), repeat)


def medians(runs: list[Result]) -> Result:
    """benchlib's medians of the wall-clock and memory keys, and of the CPU seconds too."""
    out = median_result(runs)
    for key in CPU_KEYS:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    return out


def measure_naive(fmt: str, path: Path, rows: int, timeout: float) -> Measured:
    """Full size once; if that takes longer than ``timeout`` s, the first 20,000 rows scaled up linearly."""
    if rows <= NAIVE_SAMPLE_ROWS:
        return Measured("naive", fmt, run_child("naive", path), 1)
    try:
        return Measured("naive", fmt, run_child("naive", path, timeout=timeout), 1)
    except subprocess.TimeoutExpired:
        pass
    factor = rows / NAIVE_SAMPLE_ROWS
    r = run_child("naive", path, limit=NAIVE_SAMPLE_ROWS)
    r.update(sample_seconds=r["seconds"], sample_rows=r["rows"], seconds=r["seconds"] * factor,
             extrapolated=True)
    note = (f"EXTRAPOLATED: full size took > {timeout:.0f} s; {NAIVE_SAMPLE_ROWS:,} rows took "
            f"{r['sample_seconds']:.2f} s, × {factor:g}; peak MB is the sample's")
    return Measured("naive", fmt, r, 1, note)


# --------------------------------------------------------------------------- checks and report
def check_counts(m: Measured, rows: int) -> list[str]:
    """Problems with what a case stored (empty when all is as expected)."""
    d = m.data
    if m.case == "throughline":
        problems = []
        if d["first"]["inserted"] != rows or d["first"]["rejected"]:
            problems.append(f"first import inserted {d['first']['inserted']:,} (expected {rows:,}), "
                            f"rejected {d['first']['rejected']:,}")
        if d["reimport"]["unchanged"] != rows or d["reimport"]["inserted"] or d["reimport"]["updated"]:
            problems.append(f"re-import unchanged {d['reimport']['unchanged']:,} (expected {rows:,}), "
                            f"inserted {d['reimport']['inserted']:,}, updated {d['reimport']['updated']:,}")
        u = d["update"]
        if u["updated"] != rows or u["inserted"] or u["unchanged"] or u["rejected"]:
            problems.append(f"update updated {u['updated']:,} (expected {rows:,}), inserted {u['inserted']:,}, "
                            f"unchanged {u['unchanged']:,}, rejected {u['rejected']:,}")
        return problems
    if m.case == "eventlog":
        incidents = d.get("incidents")
        if d["rows_read"] != rows or d["rejected"] or (incidents and d["items"] != incidents):
            return [f"rows read {d['rows_read']:,} (expected {rows:,}), items {d['items']:,} (expected "
                    f"{incidents or '?':,}), rejected {d['rejected']:,}"]
        return []
    expected = d.get("sample_rows") and NAIVE_SAMPLE_ROWS or rows
    return [] if d["rows"] == expected else [f"stored {d['rows']:,} rows (expected {expected:,})"]


def report_case(m: Measured, floor: float | None, rows: int) -> list[str]:
    """Print the case's table line(s); return count problems."""
    d = m.data
    if "skipped" in d:
        print(f"  {m.case + ' ' + m.fmt:30} throughline: core not available yet — skipped "
              f"({d['skipped']})", flush=True)
        return []
    problems = check_counts(m, rows)
    flag = "counts OK" if not problems else "COUNTS UNEXPECTED: " + "; ".join(problems)
    if m.case == "throughline":
        f, r, u = d["first"], d["reimport"], d["update"]
        print_row(f"throughline {m.fmt} (first)", m.seconds, floor, d.get("first_peak_mb") or d["peak_mb"],
                  f"inserted {f['inserted']:,} updated {f['updated']:,} rejected {f['rejected']:,}")
        print_row(f"throughline {m.fmt} (re-import)", d["reimport_seconds"], floor, None,
                  f"unchanged {r['unchanged']:,} inserted {r['inserted']:,} updated {r['updated']:,}")
        print_row(f"throughline {m.fmt} (update)", d["update_seconds"], floor, d.get("update_peak_mb"),
                  f"updated {u['updated']:,} unchanged {u['unchanged']:,} inserted {u['inserted']:,} "
                  f"status events {d['update_events']:,}  [{flag}]")
    elif m.case == "eventlog":
        print_row("throughline eventlog", m.seconds, floor, d.get("vmhwm_mb"),
                  f"rows read {d['rows_read']:,}, items {d['items']:,}, status events {d['status_events']:,}, "
                  f"rejected {d['rejected']:,}  [{flag}]" + (f"\n{'':31}{m.note}" if m.note else ""))
    else:
        print_row(f"{m.case} {m.fmt}", m.seconds, floor, d["peak_mb"],
                  f"rows {d['rows']:,}  [{flag}]" + (f"\n{'':31}{m.note}" if m.note else ""))
    return problems


def summary(results: dict[str, dict[str, Measured]]) -> list[dict[str, Any]]:
    """The three target ratios per format, where both sides were measured."""
    lines = []
    for fmt, res in results.items():
        f, n, t = (res.get(c) for c in ("floor", "naive", "throughline"))
        t = t if t and "skipped" not in t.data else None
        if n and f:  # context: how far above naive even the floor gets
            lines.append({"name": f"naive/floor {fmt}", "value": n.seconds / f.seconds, "target": None, "ok": None,
                          "extrapolated": bool(n.data.get("extrapolated"))})
        if t and f:
            lines.append({"name": f"throughline/floor {fmt}", "value": t.seconds / f.seconds, "target": "≤ 1.5×",
                          "ok": t.seconds / f.seconds <= 1.5})
        if t and n:
            lines.append({"name": f"naive/throughline {fmt}", "value": n.seconds / t.seconds, "target": "≥ 8×",
                          "ok": n.seconds / t.seconds >= 8, "extrapolated": bool(n.data.get("extrapolated"))})
        if t:
            ratio = t.data["reimport_seconds"] / t.seconds
            lines.append({"name": f"re-import/first {fmt}", "value": ratio, "target": "≤ 0.5×", "ok": ratio <= 0.5})
            ratio = t.data["update_seconds"] / t.seconds
            lines.append({"name": f"update/first {fmt}", "value": ratio, "target": "≤ 1.5×", "ok": ratio <= 1.5})
        if t and f:
            lines.append({"name": f"update/floor {fmt}", "value": t.data["update_seconds"] / f.seconds,
                          "target": None, "ok": None, "context": "the updating re-import against the floor"})
        lines += cpu_lines(fmt, f, t)
    return lines


def cpu_lines(fmt: str, f: Measured | None, t: Measured | None) -> list[dict[str, Any]]:
    """The same ratios on CPU time (``time.process_time`` of the child): on a shared, loaded machine the wall
    clock of two runs meets different loads, their CPU seconds much less so. Context only: targets stay on wall."""
    if not (t and f and "cpu_seconds" in t.data and "cpu_seconds" in f.data):
        return []
    note = "CPU seconds of the same runs"
    return [{"name": f"cpu: throughline/floor {fmt}", "value": t.data["cpu_seconds"] / f.data["cpu_seconds"],
             "target": None, "ok": None, "context": note},
            {"name": f"cpu: update/first {fmt}", "value": t.data["update_cpu_seconds"] / t.data["cpu_seconds"],
             "target": None, "ok": None, "context": note}]


def eventlog_summary(floor: Measured | None, least: Measured | None, ev: Measured | None) -> list[dict[str, Any]]:
    """The event log's two goals: time × pandas.read_csv of the same file, and peak memory; with the time against
    the least an import can cost, since that floor alone is above the read_csv goal."""
    if not ev or "items" not in ev.data:
        return []
    lines = []
    if floor:
        ratio = ev.seconds / floor.seconds
        lines.append({"name": "eventlog/read_csv", "value": ratio, "target": f"≤ {EVENTLOG_GOALS[0]:g}×",
                      "ok": ratio <= EVENTLOG_GOALS[0]})
        if "cpu_seconds" in ev.data and floor.data.get("cpu_seconds"):
            lines.append({"name": "cpu: eventlog/read_csv", "value": ev.data["cpu_seconds"] / floor.data["cpu_seconds"],
                          "target": None, "ok": None, "context": "CPU seconds of the same runs"})
        if least:
            below = least.seconds / floor.seconds
            lines.append({"name": "eventlog floor/read_csv", "value": below, "target": None, "ok": None,
                          "context": "the least any import of it costs"
                                     + (", itself above the goal" if below > EVENTLOG_GOALS[0] else "")})
    if least:
        lines.append({"name": "eventlog/eventlog floor", "value": ev.seconds / least.seconds, "target": None,
                      "ok": None, "context": "what inference, checks and change tracking add"})
    peak = ev.data.get("vmhwm_mb") or ev.data["peak_mb"]
    lines.append({"name": "eventlog peak MB", "value": peak, "target": f"≤ {EVENTLOG_GOALS[1]:g}",
                  "ok": peak <= EVENTLOG_GOALS[1], "unit": " MB"})
    return lines


def print_summary(lines: list[dict[str, Any]]) -> None:
    print("\nTargets (informational only; a MISS never fails the run):")
    if not lines:
        print("  (no ratio to compute with the cases measured)")
    for s in lines:
        value = (f"{s['value']:.0f}{s['unit']}" if "unit" in s else f"{s['value']:.1f}×" if s["name"].startswith("naive")
                 else f"{s['value']:.2f}×")
        extra = "  (naive extrapolated)" if s.get("extrapolated") else ""
        if s["target"] is None:
            print(f"  {s['name'] + ' = ' + value:32} (context: {s.get('context', 'the floor' + chr(39) + 's own lead over naive')})"
                  f"{extra}")
        else:
            print(f"  {s['name'] + ' = ' + value:32} target {s['target']:7} {'PASS' if s['ok'] else 'MISS'}{extra}")


def measure_eventlog(rows: int, repeat: int) -> tuple[Measured | None, Measured | None, Measured | None, list[str]]:
    """pandas.read_csv of the generated log, the least an import of it can cost (bench/eventlog_floor.py), then
    its import at default settings (median of ``repeat`` each).

    If the default cell limit refuses the file, the import is measured again with THROUGHLINE_MAX_CELLS raised,
    and the note says so.
    """
    from make_eventlog import incident_count

    path = ensure_eventlog(rows)
    failures = []
    floor = least = ev = None
    try:
        floor = measure_repeated("read_csv", "eventlog", path, repeat)
        print_row("pandas.read_csv eventlog", floor.seconds, None, floor.data.get("vmhwm_mb"),
                  f"rows {floor.data['rows']:,} × 36 columns, {path.stat().st_size / 1e6:.0f} MB")
        least = measure_repeated("eventlog_floor", "eventlog", path, repeat)
        print_row("eventlog floor", least.seconds, floor.seconds, least.data.get("vmhwm_mb"),
                  "read, parse 5 date columns, latest row per incident, insert (bench/eventlog_floor.py)")
        env, note, runs = None, "", []
        for _ in range(repeat):
            r = run_child("eventlog", path, env=env)
            if "refused" in r and env is None:
                env = RAISED_CELLS
                note = (f"the default settings REFUSE this file ({r['refused'][:160]}); measured with "
                        + " ".join(f"{k}={v}" for k, v in RAISED_CELLS.items()))
                r = run_child("eventlog", path, env=env)
            if "refused" in r:
                raise CaseFailed(f"eventlog refused even with {RAISED_CELLS}: {r['refused']}")
            runs.append(r)
        ev = Measured("eventlog", "eventlog", {**medians(runs), "incidents": incident_count(path)}, repeat, note)
    except CaseFailed as exc:
        failures.append(str(exc))
        print(f"  {'eventlog':30} CRASHED\n{exc}", flush=True)
    return floor, least, ev, failures


def write_json(args: argparse.Namespace, repeat: int, results: dict[str, dict[str, Measured]],
               lines: list[dict[str, Any]], problems: list[str], failures: list[str]) -> Path:
    out = {"when": datetime.now().isoformat(timespec="seconds"), "rows": args.rows, "repeat": repeat,
           "only": args.only, "environment": environment(),
           "cases": {fmt: {c: {**m.data, "runs": m.runs, "note": m.note} for c, m in res.items() if m}
                     for fmt, res in results.items()},
           "summary": lines, "count_problems": problems, "failures": failures}
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "results.json"
    path.write_text(json.dumps(out, indent=2))
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="tracker rows (default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case, median reported (default 3)")
    ap.add_argument("--quick", action="store_true", help="one run per case")
    ap.add_argument("--only", default=",".join(CASE_NAMES), help="comma list of " + ",".join(CASE_NAMES))
    ap.add_argument("--naive-timeout", type=float, default=60.0,
                    help="seconds before the full-size naive run is abandoned for a 20,000-row sample")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    unknown = set(args.only.split(",")) - set(CASE_NAMES)
    if unknown:
        ap.error(f"--only: unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASE_NAMES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.limit)
        return 0
    repeat = 1 if args.quick else max(1, args.repeat)
    only = [c for c in CASE_NAMES if c in args.only.split(",")]
    paths = ensure_tracker(args.rows)
    env = environment()
    print(f"Import benchmark: {args.rows:,} rows × {len(HEADER)} columns; median of {repeat} run(s) per case "
          f"(naive: 1), each in a fresh process on a fresh SQLite file")
    print(f"Python {env['python']}, pandas {env['pandas']}, SQLAlchemy {env['sqlalchemy']}, {env['machine']}\n")
    print(f"  {'case':30} {'seconds':>9} {'× floor':>9} {'peak MB':>9}")
    results: dict[str, dict[str, Measured]] = {}
    problems: list[str] = []
    failures: list[str] = []
    for fmt in FORMATS:
        results[fmt] = {}
        for case in (c for c in only if c != "eventlog"):
            try:
                m = (measure_naive(fmt, paths[fmt], args.rows, args.naive_timeout) if case == "naive"
                     else measure_repeated(case, fmt, paths[fmt], repeat))
            except CaseFailed as exc:
                failures.append(str(exc))
                print(f"  {case + ' ' + fmt:30} CRASHED\n{exc}", flush=True)
                continue
            results[fmt][case] = m
            floor = results[fmt]["floor"].seconds if "floor" in results[fmt] else None
            problems += [f"{case} {fmt}: {p}" for p in report_case(m, floor, args.rows)]
    lines = summary(results)
    if "eventlog" in only:
        ev_rows = round(args.rows * EVENTLOG_ROWS_PER_TRACKER_ROW)
        print(f"\nEvent log: {ev_rows:,} rows × 36 columns shaped like the ServiceNow export, imported at default "
              f"settings (× read_csv = time against pandas.read_csv of the same file; peak MB = the child's VmHWM)")
        floor, least, ev, failed = measure_eventlog(ev_rows, repeat)
        failures += failed
        results["eventlog"] = {"read_csv": floor, "eventlog_floor": least, "eventlog": ev}
        if ev:
            problems += [f"eventlog: {p}" for p in report_case(ev, floor.seconds if floor else None, ev_rows)]
        lines += eventlog_summary(floor, least, ev)
    print_summary(lines)
    if problems:
        print("\nCount checks that did not hold:\n  " + "\n  ".join(problems))
    path = write_json(args, repeat, results, lines, problems, failures)
    print(f"\nResults written to {path.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
