"""Import benchmark: Throughline against the floor and a naive baseline, measured in the same run.

Each case runs in its own Python process on a fresh SQLite file, so its peak memory
(ru_maxrss) is its own. Figures are medians of --repeat runs; ratios compare
cases of the same run, so they hold on a faster or slower machine.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_tracker import DATA, ensure_tracker  # noqa: E402


# --------------------------------------------------------------------------- cases (run in a child process)
def _plain_table():  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    md = sa.MetaData()
    cols = [sa.Column("id", sa.Integer, primary_key=True)] + [
        sa.Column(c, sa.DateTime if c in ("Created", "Due", "Updated") else sa.Float if c == "Effort" else sa.Text)
        for c in ("Key", "Title", "Status", "Owner", "Team", "Created", "Due", "Updated", "Effort", "RAG", "Priority",
                  "Notes")]
    return md, sa.Table("tracker", md, *cols)


def case_floor(path: Path, db: Path) -> dict:
    """pandas (calamine for xlsx) read + one Core executemany of the same rows."""
    import pandas as pd
    import sqlalchemy as sa

    t0 = time.perf_counter()
    if path.suffix == ".xlsx":
        df = pd.read_excel(path, engine="calamine")
    else:
        df = pd.read_csv(path, parse_dates=["Created", "Due", "Updated"])
    md, table = _plain_table()
    eng = sa.create_engine(f"sqlite:///{db}")
    md.create_all(eng)
    records = df.astype(object).where(df.notna(), None).to_dict("records")
    with eng.begin() as conn:
        conn.execute(sa.insert(table), records)
    return {"seconds": time.perf_counter() - t0, "rows": len(records)}


def _naive_model():  # type: ignore[no-untyped-def]
    """The SQLModel class a first version would write (defined on demand: only the naive case needs it)."""
    import sqlalchemy as sa
    from sqlmodel import Field, SQLModel

    namespace = {
        "__annotations__": {"id": Optional[int], "key": str, "title": str, "status": str, "owner": str, "team": str,
                            "created": Optional[datetime], "due": Optional[datetime], "updated": Optional[datetime],
                            "effort": float, "rag": str, "priority": str, "notes": str},
        "id": Field(default=None, primary_key=True),
        **{c: Field(default=None, sa_type=sa.DateTime()) for c in ("created", "due", "updated")},
    }
    return type("Tracker", (SQLModel,), namespace, table=True), SQLModel


def case_naive(path: Path, db: Path) -> dict:
    """pandas+openpyxl read (csv: pandas) + SQLModel session.add per row, one commit."""
    import pandas as pd
    from sqlmodel import Session, create_engine

    tracker, base = _naive_model()
    t0 = time.perf_counter()
    df = pd.read_excel(path, engine="openpyxl") if path.suffix == ".xlsx" else pd.read_csv(
        path, parse_dates=["Created", "Due", "Updated"])
    eng = create_engine(f"sqlite:///{db}")
    base.metadata.create_all(eng)
    with Session(eng) as s:
        for r in df.itertuples(index=False):
            s.add(tracker(key=r.Key, title=r.Title, status=r.Status, owner=r.Owner, team=r.Team,
                          created=r.Created.to_pydatetime(), due=r.Due.to_pydatetime(),
                          updated=r.Updated.to_pydatetime(), effort=r.Effort, rag=r.RAG, priority=r.Priority,
                          notes=r.Notes))
        s.commit()
    return {"seconds": time.perf_counter() - t0, "rows": len(df)}


def case_throughline(path: Path, db: Path) -> dict:
    """Throughline end to end (read, map, validate, plan, commit), then a no-change re-import."""
    from core.db import make_engine, upgrade_schema
    from core.importing.service import import_path

    eng = make_engine(f"sqlite:///{db}")
    upgrade_schema(eng)
    t0 = time.perf_counter()
    first = import_path(eng, path, source="bench-tracker", kind="work_items", user="bench")
    t1 = time.perf_counter()
    again = import_path(eng, path, source="bench-tracker", kind="work_items", user="bench")
    t2 = time.perf_counter()
    return {"seconds": t1 - t0, "reimport_seconds": t2 - t1, "inserted": first.inserted,
            "rejected": first.rejected, "reimport_unchanged": again.unchanged, "reimport_changed": again.updated +
            again.inserted}


CASES = {"floor": case_floor, "naive": case_naive, "throughline": case_throughline}


def child(case: str, path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = CASES[case](Path(path), Path(tmp) / "bench.db")
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


# --------------------------------------------------------------------------- parent
def run_case(case: str, path: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", case, str(path)], capture_output=True, text=True,
                          cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise SystemExit(f"{case} on {path.name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(case: str, path: Path, repeat: int) -> dict:
    runs = [run_case(case, path) for _ in range(repeat)]
    out = dict(runs[0])
    for k in ("seconds", "reimport_seconds", "peak_mb"):
        if k in out:
            out[k] = statistics.median(r[k] for r in runs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one run per case")
    ap.add_argument("--only", default="floor,naive,throughline")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    repeat = 1 if args.quick else args.repeat
    paths = ensure_tracker(args.rows)
    only = args.only.split(",")
    results: dict[str, dict[str, dict]] = {}
    print(f"Import benchmark: {args.rows:,} rows × 12 columns, median of {repeat} run(s), fresh SQLite file each\n")
    print(f"{'case':28} {'seconds':>9} {'× floor':>8} {'peak MB':>8}")
    for fmt in ("xlsx", "csv"):
        results[fmt] = {}
        for case in ("floor", "naive", "throughline"):
            if case not in only:
                continue
            r = median_of(case, paths[fmt], 1 if case == "naive" else repeat)
            results[fmt][case] = r
            floor = results[fmt].get("floor", {}).get("seconds")
            ratio = f"{r['seconds'] / floor:7.2f}×" if floor else "      -"
            print(f"{case + ' ' + fmt:28} {r['seconds']:9.2f} {ratio:>8} {r['peak_mb']:8.0f}")
            if case == "throughline":
                rr = r["reimport_seconds"]
                print(f"{'throughline re-import ' + fmt:28} {rr:9.2f} {rr / floor if floor else 0:7.2f}×"
                      f" {'':>8}  (unchanged {r['reimport_unchanged']:,}, changed {r['reimport_changed']})")
    print("\nTargets (informational):")
    for fmt, res in results.items():
        t, f, n = res.get("throughline"), res.get("floor"), res.get("naive")
        if t and f:
            ratio = t["seconds"] / f["seconds"]
            print(f"  {fmt}: throughline/floor = {ratio:.2f}× (target ≤ 1.5×) {'PASS' if ratio <= 1.5 else 'MISS'}")
        if t and n:
            ratio = n["seconds"] / t["seconds"]
            print(f"  {fmt}: naive/throughline = {ratio:.1f}× faster (target ≥ 8×) {'PASS' if ratio >= 8 else 'MISS'}")
        if t:
            ratio = t["reimport_seconds"] / t["seconds"]
            print(f"  {fmt}: re-import/first = {ratio:.2f}× (target ≤ 0.5×) {'PASS' if ratio <= 0.5 else 'MISS'}")
    DATA.mkdir(exist_ok=True)
    (DATA / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
