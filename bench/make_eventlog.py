"""Generate a full-size ServiceNow-shaped incident event log (default 120,000 rows × 36 columns) into bench/.cache/.

Shaped like ``../shared/realdata/servicenow_incident_event_log_sample.csv`` (its first 5,998 rows are real):
the same 36 headers in the same order; about 20,800 incidents (``number``) with 2 to 12 rows each, one per
change of the incident; states New → Active → (Awaiting User Info → Active) → Resolved → Closed in time order;
``sys_updated_at`` rising within an incident; day-first ``dd-mm-yyyy hh:mm`` dates with no seconds; ``?`` for
empty; TRUE/FALSE booleans; "Group 56"-style teams and "Resolver 170"-style people. Deterministic
(``random.Random(11)``); a stamp file lets later runs reuse the file. ``bench/.cache/`` is git-ignored.

    .venv/bin/python bench/make_eventlog.py [--rows 120000]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

CACHE = Path(__file__).resolve().parent / ".cache"
GENERATOR_VERSION = 4
ROWS_PER_INCIDENT = 120_000 / 20_800  # the full log's shape: about 5.8 events per incident
HEADER = ["number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla",
          "caller_id", "opened_by", "opened_at", "sys_created_by", "sys_created_at", "sys_updated_by",
          "sys_updated_at", "contact_type", "location", "category", "subcategory", "u_symptom", "cmdb_ci", "impact",
          "urgency", "priority", "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify",
          "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at", "closed_at"]
LEVELS = ["1 - High", "2 - Medium", "3 - Low"]
PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]
DATE_COLUMNS = ["opened_at", "sys_created_at", "sys_updated_at", "resolved_at", "closed_at"]
DATE_FORMAT = "%d-%m-%Y %H:%M"  # day-first, no seconds, as the real export writes them


def path_for(rows: int) -> Path:
    return CACHE / f"servicenow_eventlog_{rows}.csv"


def when(t: datetime) -> str:
    return t.strftime(DATE_FORMAT)


def states(rng: random.Random, n: int) -> list[str]:
    """``n`` states (n ≥ 2) in the order an incident passes them; the last two are Resolved, Closed."""
    if n == 2:
        return ["Resolved", "Closed"]
    middle = n - 2
    news = rng.randint(1, min(3, middle)) if rng.random() < 0.75 else 0
    rest = ["Active"] * (middle - news)
    if len(rest) >= 3 and rng.random() < 0.3:  # waits on the caller, then works again
        rest[len(rest) // 2] = "Awaiting User Info"
    return ["New"] * news + rest + ["Resolved", "Closed"]


def incidents(rng: random.Random, rows: int) -> Iterator[list[str]]:
    """Yield exactly ``rows`` event rows, incident after incident (case attributes fixed per incident)."""
    start = datetime(2016, 2, 29, 1, 0)
    written, number = 0, 0
    while written < rows:
        number += 1
        n = min(max(2, round(rng.gauss(ROWS_PER_INCIDENT - 0.12, 2.6))), 12)
        n = rows - written if rows - written - n < 2 else n  # the last incident takes a row left over
        opened = start + timedelta(minutes=rng.randint(0, 60 * 24 * 360))
        impact, urgency = rng.choice(LEVELS), rng.choice(LEVELS)
        created = rng.random() < 0.73
        resolver = f"Resolver {rng.randint(1, 250)}" if rng.random() < 0.9 else "?"
        t = opened + timedelta(minutes=rng.randint(1, 30))
        stamps = []
        for _ in range(n):
            t += timedelta(minutes=rng.randint(5, 60 * 24 * 2))
            stamps.append(t)
        resolved_at = when(stamps[-2]) if n >= 2 and rng.random() < 0.99 else "?"
        who = [f"Caller {rng.randint(1, 5000)}", f"Opened by  {rng.randint(1, 200)}" if rng.random() < 0.9 else "?",
               when(opened), f"Created by {rng.randint(1, 120)}" if created else "?",
               when(opened + timedelta(minutes=7)) if created else "?"]
        what = [f"Location {rng.randint(1, 230)}", f"Category {rng.randint(1, 60)}", f"Subcategory {rng.randint(1, 250)}",
                f"Symptom {rng.randint(1, 500)}" if rng.random() < 0.72 else "?",
                f"cmdb_ci {rng.randint(1, 40)}" if rng.random() < 0.01 else "?", impact, urgency,
                PRIORITIES[min(3, LEVELS.index(impact) + LEVELS.index(urgency))], f"Group {rng.randint(1, 80)}"]
        made_sla, knowledge = "TRUE" if rng.random() < 0.63 else "FALSE", "TRUE" if rng.random() < 0.2 else "FALSE"
        closing = [f"Problem ID  {rng.randint(1, 300)}" if rng.random() < 0.05 else "?",
                   f"CHG{rng.randint(1, 5000):07d}" if rng.random() < 0.03 else "?", "?", "?",
                   f"code {rng.randint(1, 17)}", f"Resolved by {rng.randint(1, 220)}", resolved_at,
                   when(stamps[-1] + timedelta(days=5))]
        reassigned = 0
        for i, (state, at) in enumerate(zip(states(rng, n) if n >= 2 else ["Closed"], stamps)):
            if state == "Active" and rng.random() < 0.2:
                reassigned += 1
            assigned = resolver if state != "New" or rng.random() < 0.4 else "?"
            yield [f"INC{number:07d}", state, "FALSE" if state == "Closed" else "TRUE", str(reassigned), "0",
                   str(i * 2), made_sla, *who, f"Updated by {rng.randint(1, 1000)}", when(at), "Phone", *what,
                   assigned, knowledge, "FALSE", "Do Not Notify", *closing]
            written += 1


def ensure_eventlog(rows: int = 120_000) -> Path:
    """Write the log unless its stamp says it is already there; return its path."""
    path = path_for(rows)
    stamp = path.with_suffix(".stamp")
    wanted = {"rows": rows, "seed": 11, "version": GENERATOR_VERSION}
    try:
        if {k: v for k, v in json.loads(stamp.read_text()).items() if k != "incidents"} == wanted and path.exists():
            return path
    except (OSError, ValueError):
        pass
    CACHE.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    numbers: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        out.writerows(numbers.add(row[0]) or row for row in incidents(random.Random(11), rows))
    stamp.write_text(json.dumps({**wanted, "incidents": len(numbers)}))
    return path


def incident_count(path: Path) -> int | None:
    """How many incidents (distinct ``number``) the log at ``path`` holds, from its stamp."""
    try:
        return json.loads(path.with_suffix(".stamp").read_text())["incidents"]
    except (OSError, ValueError, KeyError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=120_000)
    path = ensure_eventlog(ap.parse_args().rows)
    print(f"{path} {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
