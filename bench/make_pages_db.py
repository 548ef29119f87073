"""Build the page benchmark's database once per size, into the ignored bench/.data/ (issue 21's scale).

At full size (scale 1.0): the sample scenario, a generated 100,000-row tracker (make_tracker.py), the
ServiceNow-shaped 120,000-row event log (make_eventlog.py: about 20,000 incidents), and a generated
strategy of 300 objectives, 100 KPIs with 104 weekly readings each, 40 teams and 800 people:
about 121,000 work items and 180,000 status events. Smaller scales shrink the tracker and the log
alike (0.25 ≈ 30k items, 0.5 ≈ 60k). Everything goes in through the import engine, as a user's files
would. A stamp beside the database says what it holds, so later runs reuse it.

    .venv/bin/python bench/make_pages_db.py [--scale 1.0]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from make_eventlog import ensure_eventlog  # noqa: E402
from make_tracker import TEAMS, ensure_tracker  # noqa: E402

DATA = HERE / ".data"
VERSION = 1  # bump when what goes in changes
OBJECTIVES, KPIS, WEEKS, TEAM_COUNT, PEOPLE = 300, 100, 104, 40, 800
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jonas", "Kemi", "Liam", "Maya",
         "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara"]
LAST = ["Ahmed", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Khan",
        "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Vance",
        "Weber", "Xu", "Young", "Zimmer", "Adler", "Berg", "Cruz", "Diaz", "Eke", "Ford", "Gray", "Hill", "Iqbal",
        "Jones", "Kim", "Lund", "Mills", "Nash"]


def db_path(scale: float) -> Path:
    return DATA / f"pages_{int(round(scale * 100)):03d}.db"


def _strategy_files(folder: Path) -> list[Path]:
    """A strategy workbook (People, Objectives, KPIs, Incentives) and 104 weekly readings per KPI."""
    import openpyxl

    rng = random.Random(21)
    teams = list(TEAMS) + [f"Unit {n} team" for n in range(1, TEAM_COUNT - len(TEAMS) + 1)]
    people = [(f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}", teams[i % len(teams)])
              for i in range(PEOPLE)]
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "People"
    sheet.append(["Name", "Email", "Team", "Role"])
    for name, team in people:
        sheet.append([name, f"{name.lower().replace(' ', '.')}@bench.example", team, "Engineer"])
    sheet = wb.create_sheet("Objectives")
    sheet.append(["Code", "Objective", "Description", "Parent", "Owner", "Period", "Weight", "RAG"])
    pillars = 10
    for n in range(1, OBJECTIVES + 1):
        parent = None if n <= pillars else f"O{rng.randint(1, pillars)}"
        sheet.append([f"O{n}", f"Objective {n}: improve area {n % 37}", f"Generated objective {n}.", parent,
                      people[rng.randrange(PEOPLE)][0], "FY2026", round(rng.uniform(0.1, 1.0), 2),
                      rng.choice(["Green", "Amber", "Red"])])
    sheet = wb.create_sheet("KPIs")
    sheet.append(["Code", "KPI", "Unit", "Direction", "Baseline", "Target", "Tolerance", "Owner", "Objective"])
    for n in range(1, KPIS + 1):
        sheet.append([f"K-{n:03d}", f"Indicator {n}", "units", rng.choice(["higher is better", "lower is better"]),
                      100, 110, 5, people[rng.randrange(PEOPLE)][0], f"O{rng.randint(1, OBJECTIVES)}"])
    sheet = wb.create_sheet("Incentives")
    sheet.append(["Team", "KPI", "Weight"])
    for n in range(1, KPIS + 1):
        sheet.append([teams[n % len(teams)], f"K-{n:03d}", 0.5])
    strategy = folder / "bench_strategy.xlsx"
    wb.save(strategy)
    readings = folder / "bench_kpi_readings.csv"
    start = date(2024, 12, 2)
    with readings.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["KPI", "Week", "Value"])
        for n in range(1, KPIS + 1):
            level = rng.uniform(80, 120)
            for week in range(WEEKS):
                level += rng.gauss(0, 2)
                out.writerow([f"K-{n:03d}", (start + timedelta(weeks=week)).isoformat(), round(level, 2)])
    return [strategy, readings]


def ensure_db(scale: float = 1.0) -> Path:
    """The database for ``scale`` (built unless its stamp says it is there); its path."""
    path = db_path(scale)
    stamp = path.with_suffix(".stamp")
    wanted = {"scale": scale, "version": VERSION}
    try:
        if {k: v for k, v in json.loads(stamp.read_text()).items() if k in wanted} == wanted and path.exists():
            return path
    except (OSError, ValueError):
        pass
    from core.importing.service import import_path
    from core.sample import load_sample
    from core.store.db import make_engine, upgrade_schema
    from core.store.tables import table_counts

    DATA.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    started = time.perf_counter()
    load_sample(engine, user="bench")
    tracker = ensure_tracker(int(100_000 * scale))["csv"]
    log = ensure_eventlog(int(120_000 * scale))
    for file in [*_strategy_files(DATA), tracker, log]:
        t0 = time.perf_counter()
        import_path(engine, file, user="bench")
        print(f"  imported {file.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    counts = table_counts(engine)
    engine.dispose()
    stamp.write_text(json.dumps({**wanted, "counts": counts, "seconds": round(time.perf_counter() - started, 1)}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    path = ensure_db(args.scale)
    print(path, json.loads(path.with_suffix(".stamp").read_text())["counts"])


if __name__ == "__main__":
    main()
