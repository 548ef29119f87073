"""The least any importer can do to store the generated event log, as a multiple of ``pandas.read_csv`` of it.

``make bench`` runs its steps as the ``eventlog_floor`` case (its total, not each step); this script explains the
bench's ``eventlog/read_csv`` line step by step. In this process, per run: read the
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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_eventlog import DATE_COLUMNS, DATE_FORMAT, ensure_eventlog  # noqa: E402

BASELINE = "read_csv (the bench's baseline)"
TOTAL = "floor, total"


def iso(s: pd.Series) -> list[str | None]:
    """Dates as the ISO text SQLite stores, None for missing."""
    return s.dt.strftime("%Y-%m-%d %H:%M:%S").where(s.notna(), None).tolist()


@contextmanager
def timed(spent: dict[str, list[float]], label: str) -> Iterator[None]:
    """Add the block's wall seconds to ``spent[label]`` and, unless it is the baseline, to the floor's total."""
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    spent[label].append(seconds)
    if label != BASELINE:
        spent[TOTAL][-1] += seconds


def one_run(path: Path, spent: dict[str, list[float]]) -> None:
    """read_csv (the baseline), then the floor's steps, each timed into ``spent``."""
    with timed(spent, BASELINE):
        pd.read_csv(path)
    store_floor(path, spent)


def store_floor(path: Path, spent: dict[str, list[float]]) -> None:
    """The floor's steps alone (read, parse, keep the latest, insert), each timed into ``spent``; the bench's
    ``eventlog_floor`` case runs only this, so ``make bench`` can state the event log against it too."""
    spent[TOTAL].append(0.0)
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "floor.db")
        conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, key TEXT, status TEXT, team TEXT, owner TEXT,"
                     " created TEXT, updated TEXT)")
        conn.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, item INTEGER, status TEXT, at TEXT)")
        with timed(spent, "read (? as missing)"):
            frame = pd.read_csv(path, na_values=["?"])
        with timed(spent, f"parse {len(DATE_COLUMNS)} date columns (known format)"):
            for column in DATE_COLUMNS:
                frame[column] = pd.to_datetime(frame[column], format=DATE_FORMAT, errors="coerce")
        with timed(spent, "latest row per incident, rows to tuples"):
            frame = frame.sort_values(["number", "sys_updated_at"], kind="stable")
            latest = frame.drop_duplicates("number", keep="last").reset_index(drop=True)
            ids = pd.Series(range(1, len(latest) + 1), index=latest["number"])
            items = list(zip(ids.tolist(), latest["number"].tolist(), latest["incident_state"].tolist(),
                             latest["assignment_group"].tolist(), latest["assigned_to"].tolist(),
                             iso(latest["opened_at"]), iso(latest["sys_updated_at"])))
            events = list(zip(frame["number"].map(ids).tolist(), frame["incident_state"].tolist(),
                              iso(frame["sys_updated_at"])))
        with timed(spent, f"insert {len(items):,} items and {len(events):,} events"), conn:
            conn.executemany("INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?)", items)
            conn.executemany("INSERT INTO event (item, status, at) VALUES (?, ?, ?)", events)
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = ensure_eventlog(args.rows)
    spent: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.runs):
        one_run(path, spent)
    baseline = statistics.median(spent[BASELINE])
    print(f"{path.name}, median of {args.runs}")
    print(f"{'step':<45} {'seconds':>8} {'× read_csv':>11}")
    for label in [label for label in spent if label != TOTAL] + [TOTAL]:
        seconds = statistics.median(spent[label])
        print(f"{label:<45} {seconds:>8.2f} {seconds / baseline:>10.1f}×")


if __name__ == "__main__":
    main()
