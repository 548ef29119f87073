"""The least any importer can do to store the generated event log, as a multiple of ``pandas.read_csv`` of it.

Not run by ``make bench``: it explains the bench's ``eventlog/read_csv`` line. In this process, per run: read the
log (``?`` as missing), parse its five date columns with their one known format (pandas' fastest path, no
inference), keep the latest row per incident, and insert one row per incident and one status event per row into
a plain two-table SQLite file, one executemany each, in one transaction. No profiling, mapping, validation, change
tracking or batch: an importer that infers and checks must cost more than this. Prints seconds per step and each
as a multiple of ``read_csv`` in the same run (median of the runs).

    .venv/bin/python bench/eventlog_floor.py [--rows 120000] [--runs 3]
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_eventlog import ensure_eventlog  # noqa: E402

DATES = ["opened_at", "sys_created_at", "sys_updated_at", "resolved_at", "closed_at"]
FORMAT = "%d-%m-%Y %H:%M"


def iso(s: pd.Series) -> list[str | None]:
    """Dates as the ISO text SQLite stores, None for missing."""
    return s.dt.strftime("%Y-%m-%d %H:%M:%S").where(s.notna(), None).tolist()


def one_run(path: Path, spent: dict[str, list[float]]) -> None:
    start = time.perf_counter()
    pd.read_csv(path)
    spent["read_csv (the bench's baseline)"].append(time.perf_counter() - start)
    db = Path(tempfile.mkdtemp()) / "floor.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, key TEXT, status TEXT, team TEXT, owner TEXT,"
                 " created TEXT, updated TEXT)")
    conn.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, item INTEGER, status TEXT, at TEXT)")
    steps: list[tuple[str, float]] = []
    t = time.perf_counter()
    frame = pd.read_csv(path, na_values=["?"])
    steps.append(("read (? as missing)", time.perf_counter() - t))
    t = time.perf_counter()
    for column in DATES:
        frame[column] = pd.to_datetime(frame[column], format=FORMAT, errors="coerce")
    steps.append(("parse 5 date columns (known format)", time.perf_counter() - t))
    t = time.perf_counter()
    frame = frame.sort_values(["number", "sys_updated_at"], kind="stable")
    latest = frame.drop_duplicates("number", keep="last").reset_index(drop=True)
    ids = pd.Series(range(1, len(latest) + 1), index=latest["number"])
    items = list(zip(ids.tolist(), latest["number"].tolist(), latest["incident_state"].tolist(),
                     latest["assignment_group"].tolist(), latest["assigned_to"].tolist(),
                     iso(latest["opened_at"]), iso(latest["sys_updated_at"])))
    events = list(zip(frame["number"].map(ids).tolist(), frame["incident_state"].tolist(),
                      iso(frame["sys_updated_at"])))
    steps.append(("latest row per incident, rows to tuples", time.perf_counter() - t))
    t = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?)", items)
        conn.executemany("INSERT INTO event (item, status, at) VALUES (?, ?, ?)", events)
    steps.append((f"insert {len(items):,} items and {len(events):,} events", time.perf_counter() - t))
    conn.close()
    for label, seconds in steps:
        spent[label].append(seconds)
    spent["floor, total"].append(sum(seconds for _, seconds in steps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = ensure_eventlog(args.rows)
    spent: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.runs):
        one_run(path, spent)
    baseline = statistics.median(spent["read_csv (the bench's baseline)"])
    print(f"{path.name}, median of {args.runs}")
    print(f"{'step':<45} {'seconds':>8} {'× read_csv':>11}")
    for label, values in spent.items():
        seconds = statistics.median(values)
        print(f"{label:<45} {seconds:>8.2f} {seconds / baseline:>10.1f}×")


if __name__ == "__main__":
    main()
