"""Import benchmark: Throughline against a floor and a naive baseline, all measured in the same run.

Cases (each run in its own Python process, on a fresh temporary SQLite file):

  floor        pandas read (calamine for xlsx, read_csv for csv) + one SQLAlchemy Core
               ``conn.execute(insert(table), records)`` into a plain 12-column table, one transaction
  naive        pandas read (openpyxl for xlsx, read_csv for csv) + a SQLModel object and
               ``session.add`` per row, one commit (run once; extrapolated from a sample if too slow)
  throughline  ``core.importing.service.import_path`` (first import), then a re-import of the
               same unchanged file into the same database

Usage:  .venv/bin/python bench/bench_import.py [--rows N] [--quick] [--only floor,naive,throughline]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from make_tracker import DATA, DATE_COLUMNS, HEADER, ensure_tracker  # noqa: E402

CASE_NAMES = ("floor", "naive", "throughline")
FORMATS = ("xlsx", "csv")
NAIVE_SAMPLE_ROWS = 20_000
SOURCE, KIND, USER = "bench-tracker", "work_items", "bench"

Result = dict[str, Any]


# =========================================================================== child side: one case, one process
def _peak_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _read_frame(path: Path, xlsx_engine: str, limit: int | None = None) -> Any:
    """Read the tracker with pandas; csv dates parsed (ISO), as xlsx gives them."""
    import pandas as pd

    if path.suffix == ".xlsx":
        return pd.read_excel(path, engine=xlsx_engine, nrows=limit)
    return pd.read_csv(path, parse_dates=list(DATE_COLUMNS), date_format="%Y-%m-%d", nrows=limit)


def _plain_table() -> tuple[Any, Any]:
    """The floor's table: the 12 columns as they come (text, datetime, float) plus an integer key."""
    import sqlalchemy as sa

    def col_type(name: str) -> Any:
        return sa.DateTime if name in DATE_COLUMNS else sa.Float if name == "Effort" else sa.Text

    md = sa.MetaData()
    columns = [sa.Column("id", sa.Integer, primary_key=True)] + [sa.Column(c, col_type(c)) for c in HEADER]
    return md, sa.Table("tracker", md, *columns)


def _records(df: Any) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (str, float, datetime; None for blanks), built column by column."""
    import pandas as pd

    columns = []
    for name in df.columns:
        s = df[name]
        values = s.dt.to_pydatetime() if s.dtype.kind == "M" else s
        columns.append(pd.Series(values, index=s.index, dtype=object).where(s.notna(), None).tolist())
    names = list(df.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def case_floor(path: Path, db: Path, limit: int | None = None) -> Result:
    """pandas read + one Core executemany of every row, one transaction."""
    import sqlalchemy as sa

    md, table = _plain_table()
    engine = sa.create_engine(f"sqlite:///{db}")
    md.create_all(engine)
    t0 = time.perf_counter()
    df = _read_frame(path, "calamine", limit)
    records = _records(df)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), records)
    seconds = time.perf_counter() - t0
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return {"seconds": seconds, "rows": stored}


def _naive_model() -> tuple[type, Any]:
    """The SQLModel class a first version would write (defined on demand: only the naive case needs it)."""
    import sqlalchemy as sa
    from sqlmodel import Field, SQLModel

    def naive_dt() -> Any:  # sqlmodel 0.0.50 maps plain datetime to a UTC type that rejects naive values
        return Field(default=None, sa_type=sa.DateTime())

    class TrackerRow(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        key: str
        title: str
        status: str
        owner: str
        team: str
        created: datetime | None = naive_dt()
        due: datetime | None = naive_dt()
        updated: datetime | None = naive_dt()
        effort: float | None = None
        rag: str
        priority: str
        notes: str

    return TrackerRow, SQLModel.metadata


def case_naive(path: Path, db: Path, limit: int | None = None) -> Result:
    """pandas read (openpyxl for xlsx) + one SQLModel object and session.add per row, one commit."""
    from sqlmodel import Session, create_engine, func, select

    model, metadata = _naive_model()
    engine = create_engine(f"sqlite:///{db}")
    metadata.create_all(engine)
    t0 = time.perf_counter()
    df = _read_frame(path, "openpyxl", limit)
    with Session(engine) as session:
        for r in df.itertuples(index=False):
            session.add(model(key=r.Key, title=r.Title, status=r.Status, owner=r.Owner, team=r.Team,
                              created=r.Created.to_pydatetime(), due=r.Due.to_pydatetime(),
                              updated=r.Updated.to_pydatetime(), effort=r.Effort, rag=r.RAG,
                              priority=r.Priority, notes=r.Notes))
        session.commit()
    seconds = time.perf_counter() - t0
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(model)).one()
    return {"seconds": seconds, "rows": stored}


def _counts(result: Any) -> dict[str, int]:
    return {k: int(getattr(result, k)) for k in ("inserted", "updated", "unchanged", "rejected")}


def case_throughline(path: Path, db: Path, limit: int | None = None) -> Result:
    """Throughline end to end (read, map, validate, plan, commit), then the same file again (no change)."""
    try:
        from core.db import make_engine, upgrade_schema
        from core.importing.service import import_path
    except ImportError as exc:
        return {"skipped": str(exc)}
    engine = make_engine(f"sqlite:///{db}")
    upgrade_schema(engine)  # schema setup is not timed, as create_all is not for the other cases
    t0 = time.perf_counter()
    first = import_path(engine, path, source=SOURCE, kind=KIND, user=USER)
    t1 = time.perf_counter()
    again = import_path(engine, path, source=SOURCE, kind=KIND, user=USER)
    t2 = time.perf_counter()
    return {"seconds": t1 - t0, "reimport_seconds": t2 - t1, "first": _counts(first), "reimport": _counts(again)}


CASES: dict[str, Callable[[Path, Path, int | None], Result]] = {
    "floor": case_floor, "naive": case_naive, "throughline": case_throughline}


def child(case: str, path: str, limit: int | None) -> None:
    """Run one case on a fresh SQLite file in a temp dir; print its result as the last stdout line (JSON)."""
    with tempfile.TemporaryDirectory(prefix="throughline-bench-") as tmp:
        out = CASES[case](Path(path), Path(tmp) / "bench.db", limit)
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out), flush=True)


# =========================================================================== parent side: orchestration
class CaseFailed(RuntimeError):
    """A child process crashed (not a target miss)."""


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


def run_child(case: str, path: Path, limit: int | None = None, timeout: float | None = None) -> Result:
    """One case in a fresh interpreter (cwd and PYTHONPATH = repo root); raises TimeoutExpired or CaseFailed."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case, str(path)]
    if limit:
        cmd += ["--limit", str(limit)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = [line[:300] for line in proc.stderr.strip().splitlines()[-15:]]
        raise CaseFailed(f"{case} on {path.name} exited with {proc.returncode}:\n    " + "\n    ".join(tail))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_result(runs: list[Result]) -> Result:
    """First run's data with the timing and memory keys replaced by their medians."""
    out = dict(runs[0])
    for key in ("seconds", "reimport_seconds", "peak_mb"):
        if key in out:
            out[key] = statistics.median(r[key] for r in runs)
    out["all_seconds"] = [round(r["seconds"], 4) for r in runs]
    return out


def measure_repeated(case: str, fmt: str, path: Path, repeat: int) -> Measured:
    """Median of ``repeat`` fresh-process runs (stops early if the case is skipped)."""
    runs: list[Result] = []
    for _ in range(repeat):
        r = run_child(case, path)
        if "skipped" in r:
            return Measured(case, fmt, r, 0)
        runs.append(r)
    return Measured(case, fmt, median_result(runs), repeat)


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
        return problems
    expected = d.get("sample_rows") and NAIVE_SAMPLE_ROWS or rows
    return [] if d["rows"] == expected else [f"stored {d['rows']:,} rows (expected {expected:,})"]


def print_row(name: str, seconds: float, floor: float | None, peak: float | None, extra: str = "") -> None:
    ratio = f"{seconds / floor:.2f}×" if floor else "-"
    mem = f"{peak:.0f}" if peak is not None else ""
    print(f"  {name:30} {seconds:9.2f} {ratio:>9} {mem:>9}  {extra}".rstrip(), flush=True)


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
        f, r = d["first"], d["reimport"]
        print_row(f"throughline {m.fmt} (first)", m.seconds, floor, d["peak_mb"],
                  f"inserted {f['inserted']:,} updated {f['updated']:,} rejected {f['rejected']:,}")
        print_row(f"throughline {m.fmt} (re-import)", d["reimport_seconds"], floor, None,
                  f"unchanged {r['unchanged']:,} inserted {r['inserted']:,} updated {r['updated']:,}  [{flag}]")
    else:
        print_row(f"{m.case} {m.fmt}", m.seconds, floor, d["peak_mb"],
                  f"rows {d['rows']:,}  [{flag}]" + (f"\n{'':31}{m.note}" if m.note else ""))
    return problems


def summary(results: dict[str, dict[str, Measured]]) -> list[dict[str, Any]]:
    """The three target ratios per format, where both sides were measured."""
    lines = []
    for fmt, res in results.items():
        f, n, t = (res.get(c) for c in CASE_NAMES)
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
    return lines


def print_summary(lines: list[dict[str, Any]]) -> None:
    print("\nTargets (informational only; a MISS never fails the run):")
    if not lines:
        print("  (no ratio to compute with the cases measured)")
    for s in lines:
        value = f"{s['value']:.1f}×" if s["name"].startswith("naive") else f"{s['value']:.2f}×"
        extra = "  (naive extrapolated)" if s.get("extrapolated") else ""
        if s["target"] is None:
            print(f"  {s['name'] + ' = ' + value:32} (context: the floor's own lead over naive){extra}")
        else:
            print(f"  {s['name'] + ' = ' + value:32} target {s['target']:7} {'PASS' if s['ok'] else 'MISS'}{extra}")


def environment() -> dict[str, str]:
    import pandas
    import sqlalchemy

    return {"python": platform.python_version(), "pandas": pandas.__version__, "sqlalchemy": sqlalchemy.__version__,
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"}


def write_json(args: argparse.Namespace, repeat: int, results: dict[str, dict[str, Measured]],
               lines: list[dict[str, Any]], problems: list[str], failures: list[str]) -> Path:
    out = {"when": datetime.now().isoformat(timespec="seconds"), "rows": args.rows, "repeat": repeat,
           "only": args.only, "environment": environment(),
           "cases": {fmt: {c: {**m.data, "runs": m.runs, "note": m.note} for c, m in res.items()}
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
    ap.add_argument("--only", default=",".join(CASE_NAMES), help="comma list of floor,naive,throughline")
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
        for case in only:
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
    print_summary(lines)
    if problems:
        print("\nCount checks that did not hold:\n  " + "\n  ".join(problems))
    path = write_json(args, repeat, results, lines, problems, failures)
    print(f"\nResults written to {path.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
