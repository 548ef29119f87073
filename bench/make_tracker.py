"""Generate the benchmark tracker (default 100,000 rows × 12 columns) as xlsx and csv into bench/.data/.

Deterministic (``random.Random(7)``): the same row count always gives the same rows. Beside each file
goes its *changed twin* (``tracker_100k_changed.csv`` / ``.xlsx``): the same rows with every row changed
in three columns (Status moved on to the next status, Title with " (v2)", Effort + 1), for the updating
re-import. A small stamp file records what was written, so later runs reuse the files instead of
regenerating them. ``bench/.data/`` is git-ignored.

    .venv/bin/python bench/make_tracker.py [--rows N]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

DATA = Path(__file__).resolve().parent / ".data"
HEADER = ["Key", "Title", "Status", "Owner", "Team", "Created", "Due", "Updated", "Effort", "RAG", "Priority", "Notes"]
DATE_COLUMNS = ("Created", "Due", "Updated")
GENERATOR_VERSION = 3  # bump when the rows change, so stale files are rewritten

STATUSES = ["To do", "In progress", "Blocked", "Done"]
RAGS = ["Green", "Amber", "Red"]
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jonas",
         "Kemi", "Liam", "Maya", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara"]
LAST = ["Ahmed", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen"]
OWNERS = [f"{f} {l}" for f in FIRST for l in LAST]  # 200 names
TEAMS = [f"{t} team" for t in ("Platform", "Payments", "Search", "Mobile", "Web", "Data", "Infra", "Security",
                               "Growth", "Billing", "Identity", "Support", "Checkout", "Catalog", "Reporting",
                               "Messaging", "Onboarding", "Partners", "Ops", "Design")]  # 20 teams
VERBS = ["Review", "Migrate", "Fix", "Document", "Test", "Refactor", "Ship", "Plan", "Audit", "Tune"]
THINGS = ["login flow", "invoice export", "search index", "release notes", "error budget", "cache layer",
          "API quota", "data model", "alerting", "onboarding email"]
NOTES = ["Follow up with the owner about this item",
         "Waiting on sign-off from the product lead",
         "Blocked by the vendor, escalated last week",
         "Scope agreed, estimate still to be refined",
         "Needs a review before the next release cut"]


def label(rows: int) -> str:
    """File-name label: 100000 -> '100k', 20000 -> '20k', 1234 -> '1234'."""
    return f"{rows // 1000}k" if rows % 1000 == 0 and rows >= 1000 else str(rows)


def tracker_paths(rows: int) -> dict[str, Path]:
    """Where the csv, xlsx and stamp for ``rows`` rows live."""
    stem = DATA / f"tracker_{label(rows)}"
    return {"csv": stem.with_suffix(".csv"), "xlsx": stem.with_suffix(".xlsx"), "stamp": stem.with_suffix(".stamp")}


def changed_twin(path: Path) -> Path:
    """The file with every row changed in three columns, next to ``path``."""
    return path.with_name(f"{path.stem}_changed{path.suffix}")


def changed(row: list[object]) -> list[object]:
    """The same row after an update: next status, title (v2), effort + 1 (key, dates and the rest as they were)."""
    out = list(row)
    out[1] = f"{row[1]} (v2)"
    out[2] = STATUSES[(STATUSES.index(row[2]) + 1) % len(STATUSES)]
    out[8] = round(float(row[8]) + 1.0, 1)
    return out


def generate(rows: int) -> Iterator[list[object]]:
    """Yield ``rows`` tracker rows (dates as datetime), always the same for the same count."""
    rng = random.Random(7)
    base = datetime(2024, 1, 1)
    for i in range(1, rows + 1):
        created = base + timedelta(days=rng.randint(0, 600))
        yield [
            f"TRK-{i:06d}",
            f"{rng.choice(VERBS)} the {rng.choice(THINGS)} ({i})",
            rng.choice(STATUSES),
            rng.choice(OWNERS),
            rng.choice(TEAMS),
            created,
            created + timedelta(days=rng.randint(5, 90)),
            created + timedelta(days=rng.randint(0, 30)),
            round(rng.uniform(0.5, 20.0), 1),
            rng.choice(RAGS),
            f"P{rng.randint(1, 4)}",
            rng.choice(NOTES),
        ]


def write_csv(path: Path, data: list[list[object]]) -> None:
    """CSV with ISO ``YYYY-MM-DD`` dates."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for row in data:
            out.writerow([v.strftime("%Y-%m-%d") if isinstance(v, datetime) else v for v in row])


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    """XLSX (openpyxl write-only mode) with real date cells."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Tracker")
    ws.append(HEADER)
    for row in data:
        ws.append(row)
    wb.save(path)


def _stamp(rows: int) -> dict[str, int]:
    return {"rows": rows, "seed": 7, "version": GENERATOR_VERSION}


def _is_fresh(paths: dict[str, Path], rows: int) -> bool:
    try:
        stamp = json.loads(paths["stamp"].read_text())
    except (OSError, ValueError):
        return False
    return stamp == _stamp(rows) and all(p.exists() and changed_twin(p).exists() for p in (paths["csv"], paths["xlsx"]))


def ensure_tracker(rows: int = 100_000) -> dict[str, Path]:
    """Write the tracker files for ``rows`` rows unless the stamp says they already exist; return their paths."""
    paths = tracker_paths(rows)
    if _is_fresh(paths, rows):
        return {"csv": paths["csv"], "xlsx": paths["xlsx"]}
    DATA.mkdir(parents=True, exist_ok=True)
    paths["stamp"].unlink(missing_ok=True)
    data = list(generate(rows))
    write_csv(paths["csv"], data)
    write_xlsx(paths["xlsx"], data)
    data = [changed(row) for row in data]
    write_csv(changed_twin(paths["csv"]), data)
    write_xlsx(changed_twin(paths["xlsx"]), data)
    paths["stamp"].write_text(json.dumps(_stamp(rows)))
    return {"csv": paths["csv"], "xlsx": paths["xlsx"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    for kind, path in ensure_tracker(args.rows).items():
        for p in (path, changed_twin(path)):
            print(f"{kind:5} {p} {p.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
