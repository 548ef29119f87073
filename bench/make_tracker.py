"""Generate the benchmark tracker: 100,000 rows × 12 columns, as xlsx and csv, into bench/.data/ (git-ignored)."""
from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
HEADER = ["Key", "Title", "Status", "Owner", "Team", "Created", "Due", "Updated", "Effort", "RAG", "Priority", "Notes"]


def rows(n: int) -> list[list[object]]:
    rng = random.Random(7)
    owners = [f"Owner {i:03d}" for i in range(200)]
    teams = [f"Team {i:02d}" for i in range(20)]
    base = datetime(2025, 1, 1)
    out = []
    for i in range(n):
        created = base + timedelta(days=rng.randint(0, 600))
        out.append([f"TRK-{i + 1:06d}", f"Task number {i + 1} for the tracker", rng.choice(
            ["To do", "In progress", "Blocked", "Done"]), rng.choice(owners), rng.choice(teams), created,
            created + timedelta(days=rng.randint(5, 90)), created + timedelta(days=rng.randint(0, 30)),
            round(rng.uniform(0.5, 20), 1), rng.choice(["Green", "Amber", "Red"]), f"P{rng.randint(1, 4)}",
            "Follow up with the owner about this item"])
    return out


def ensure_tracker(n: int = 100_000) -> dict[str, Path]:
    """Write the files once per row count; later runs reuse them."""
    DATA.mkdir(exist_ok=True)
    paths = {"csv": DATA / f"tracker_{n}.csv", "xlsx": DATA / f"tracker_{n}.xlsx"}
    if all(p.exists() for p in paths.values()):
        return paths
    data = rows(n)
    with paths["csv"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows([[v.strftime("%Y-%m-%d") if isinstance(v, datetime) else v for v in r] for r in data])
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Tracker")
    ws.append(HEADER)
    for r in data:
        ws.append(r)
    wb.save(paths["xlsx"])
    return paths


if __name__ == "__main__":
    for kind, path in ensure_tracker().items():
        print(kind, path, f"{path.stat().st_size:,} bytes")
