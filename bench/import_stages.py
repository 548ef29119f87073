"""Where an import's time goes: wall seconds per stage of the tracker's first import and of its updating re-import.

Not run by ``make bench`` (it explains the import bench's ratios rather than measuring against a floor). Each run
imports the tracker (bench/make_tracker.py) and then its changed twin into a fresh SQLite file, in this process,
with the importer's own stage functions wrapped in timers; the table shows the median over the runs. Stages
nest: an "of which" line is part of the line above it, and the total is the whole ``import_path`` call (the
commit and the batch bookkeeping are the part no stage names).

    .venv/bin/python bench/import_stages.py [--rows N] [--format csv|xlsx] [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Callable, TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from make_tracker import changed_twin, ensure_tracker  # noqa: E402

F = TypeVar("F", bound=Callable[..., object])
Seconds = dict[str, float]


def _timed(spent: Seconds, label: str, fn: F) -> F:
    def run(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - start
    return run  # type: ignore[return-value]


def instrument(spent: Seconds) -> list[str]:
    """Wrap the stage functions where their callers look them up; returns the stage labels in display order."""
    from core.importing import commit, queries, service, write_target
    from core.store import changelog, writes

    stages: list[tuple[ModuleType, str, str]] = [
        (service, "prepare", "read, profile, map"),
        (service, "validate", "validate"),
        (commit, "plan_target", "plan (the diff)"),
        (queries, "work_items_by_id", "  of which: read the stored rows"),
        (commit, "apply_target", "write"),
        (write_target, "_apply_updates", "  of which: updates and their before-images"),
        (changelog, "changelog_add_stored", "    of which: before-images"),
        (changelog, "changelog_add_frame", "    of which: before-images"),
        (writes, "update_columns", "    of which: UPDATE executemany"),
        (write_target, "write_events", "  of which: status events"),
    ]
    for module, name, label in stages:  # one label may time two functions (SQLite's images or the frame's)
        setattr(module, name, _timed(spent, label, getattr(module, name)))
    return list(dict.fromkeys(label for _m, _n, label in stages))


def measure(path: Path, runs: int) -> tuple[list[str], dict[str, dict[str, list[float]]]]:
    from core.importing.service import import_path
    from core.store.db import make_engine, upgrade_schema

    spent: Seconds = defaultdict(float)
    labels = instrument(spent)
    found: dict[str, dict[str, list[float]]] = {"first": defaultdict(list), "update": defaultdict(list)}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="throughline-stages-") as tmp:
            engine = make_engine(f"sqlite:///{tmp}/stages.db")
            upgrade_schema(engine)
            for name, file in (("first", path), ("update", changed_twin(path))):
                spent.clear()
                start = time.perf_counter()
                import_path(engine, file, source="bench-tracker", kind="work_items", user="bench")
                spent["total"] = time.perf_counter() - start
                for label in [*labels, "total"]:
                    found[name][label].append(spent.get(label, 0.0))
            engine.dispose()
    return [*labels, "total"], found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = ensure_tracker(args.rows)[args.format]
    labels, found = measure(path, args.runs)
    print(f"{path.name}: wall seconds, median of {args.runs} (each run on a fresh database)\n")
    print("| stage | first import | updating re-import |\n|---|---|---|")
    for label in labels:
        first, update = (statistics.median(found[k][label]) for k in ("first", "update"))
        print(f"| {label} | {first:.2f} | {update:.2f} |")


if __name__ == "__main__":
    main()
