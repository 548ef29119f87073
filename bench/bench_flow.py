"""Bottlenecks analytics on 100,000 work items and 600,000 status events: cold and warm (cached).

Baseline, measured in the same run: one groupby pass over the events (min and max time per
item), the least any flow metric must do. Targets: cold ≤ 1.0 s, warm ≤ 0.2 s.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.flow.report import flow_report  # noqa: E402


def generate(n_items: int, events_per_item: int, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_items + 1)
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, n_items), unit="D")
    status = rng.choice(["todo", "in_progress", "blocked", "done"], n_items, p=[0.1, 0.25, 0.05, 0.6])
    items = pd.DataFrame({
        "id": ids, "source": rng.choice([f"tracker {i}" for i in range(10)], n_items),
        "external_key": [f"K-{i}" for i in ids], "title": "Generated item", "item_type": "task", "status": status,
        "raw_status": status, "reported_rag": None, "assessed_rag": None,
        "owner": rng.choice([f"Owner {i}" for i in range(300)], n_items),
        "team": rng.choice([f"Team {i}" for i in range(25)], n_items), "objective": None, "created_at": created,
        "started_at": pd.NaT, "due_at": created + pd.to_timedelta(rng.integers(5, 90, n_items), unit="D"),
        "done_at": pd.NaT, "updated_at": pd.NaT, "effort": None, "depends_on": None, "source_file": "gen.xlsx",
        "source_sheet": "Sheet1", "source_row": ids + 1})
    steps = np.cumsum(rng.exponential(2.0, (n_items, events_per_item)), axis=1)
    at = created.to_numpy()[:, None] + (steps * 86_400e9).astype("timedelta64[ns]")
    cycle = np.array(["todo", "in_progress", "blocked", "in_progress", "in_progress", "done"])
    ev_status = np.tile(cycle[:events_per_item], (n_items, 1))
    ev_status[:, -1] = status
    events = pd.DataFrame({"work_item_id": np.repeat(ids, events_per_item), "at": at.ravel(),
                           "status": ev_status.ravel()})
    n_deps = n_items // 10
    deps = pd.DataFrame({"work_item_id": rng.choice(ids, n_deps), "depends_on_item_id": rng.choice(ids, n_deps),
                         "depends_on_key": None, "depends_on_team_id": None})
    deps = deps[deps["work_item_id"] != deps["depends_on_item_id"]]
    return items, events, deps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000, help="work items (events: 6 per item)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    args, _ = ap.parse_known_args()
    repeat = 1 if args.quick else args.repeat
    items, events, deps = generate(args.rows, 6)
    print(f"Flow analytics: {len(items):,} work items, {len(events):,} status events, {len(deps):,} dependencies\n")

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t0)
        return float(np.median(runs))

    baseline = timed(lambda: events.groupby("work_item_id")["at"].agg(["min", "max"]))
    cache: dict[tuple, dict] = {}

    def cached_report(key: tuple) -> dict:
        if key not in cache:
            cache[key] = flow_report(items, events, deps)
        return cache[key]

    cold = timed(lambda: flow_report(items, events, deps))
    cached_report(("db", 1))
    warm = timed(lambda: cached_report(("db", 1)))
    filtered = timed(lambda: flow_report(items, events, deps, teams=["Team 3"]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'case':34} {'seconds':>9} {'× baseline':>11}")
    for name, secs in (("baseline (one groupby pass)", baseline), ("flow report, cold", cold),
                       ("flow report, one team, cold", filtered), ("flow report, warm (cached)", warm)):
        print(f"{name:34} {secs:9.3f} {secs / baseline:10.1f}×")
    print(f"\npeak memory {peak:,.0f} MB")
    print(f"Targets (informational): cold ≤ 1.0 s {'PASS' if cold <= 1.0 else 'MISS'}; "
          f"warm ≤ 0.2 s {'PASS' if warm <= 0.2 else 'MISS'}")


if __name__ == "__main__":
    main()
