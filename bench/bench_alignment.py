"""Alignment and the executive report on 100,000 work items: the view, rule counts, suggestions, the report.

Baseline, measured in the same run: one groupby of the items by team (count and unlinked count), the least the
hidden-work view must do. Informational targets: alignment view ≤ 1.0 s, rule counts (5 rules) ≤ 2.0 s,
suggestions for 2,000 unlinked items ≤ 5.0 s, executive report (now and a period earlier) ≤ 10 s.
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

from bench.bench_flow import generate  # noqa: E402
from core.alignment.analytics import alignment_report, suggest_objectives  # noqa: E402
from core.alignment.rules import rule_counts  # noqa: E402
from core.reporting.report import ReportOptions, build_report  # noqa: E402

WORDS = ["printer", "laptop", "network", "account", "password", "cloud", "migration", "change", "review", "backup",
         "campaign", "invoice", "report", "dashboard", "access", "licence", "server", "database", "training", "audit"]


def alignment_items(items: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = items.copy()
    out["title"] = [" ".join(rng.choice(WORDS, 3)) for _ in range(len(out))]
    out["objective"] = rng.choice(["O1", "O2", "O3", "KR1", None, None], len(out))
    out["objective_id"] = out["objective"].map({"O1": 3, "O2": 4, "O3": 5, "KR1": 6})
    out["effort"] = rng.integers(1, 20, len(out)).astype(float)
    out["attributes"] = [{"category": c} for c in rng.choice(["Hardware", "Software", "Account inquiry"], len(out))]
    out["description"] = None
    return out


OBJECTIVES = pd.DataFrame({
    "id": [1, 2, 3, 4, 5, 6], "code": ["P1", "P2", "O1", "O2", "O3", "KR1"],
    "title": ["Modernise IT", "Grow digital", "Resolve incidents faster", "Adopt the change process",
              "Migrate to the cloud", "Median resolution under 8 hours"],
    "description": [None, None, "printer laptop network fixes", "change review audit", "cloud migration server",
                    None],
    "parent": [None, None, "P1", "P1", "P1", "O1"], "owner": ["A", "B", "A", None, "C", "A"],
    "owner_text": ["A", "B", "A", None, "C", "A"], "period": None, "weight": None, "reported_rag": None})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    args, _ = ap.parse_known_args()
    repeat = 1 if args.quick else args.repeat
    rng = np.random.default_rng(5)
    items, events, deps = generate(args.rows, 6)
    align = alignment_items(items, rng)
    print(f"Alignment and report: {len(align):,} work items, {len(events):,} status events\n")

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t0)
        return float(np.median(runs))

    measured = pd.DataFrame({"code": ["O1", "O2"], "measured_status": ["red", "green"]})
    rules = pd.DataFrame({"id": [1, 2, 3, 4, 5], "field": ["category", "title", "team", "source", "owner"],
                          "match_type": ["equals", "contains", "regex", "equals", "contains"],
                          "pattern": ["Hardware", "printer", "^Team 1[0-9]$", "tracker 3", "Owner 12"],
                          "source": [None] * 5, "objective_id": [3, 3, 4, 5, 6]})
    unlinked, linked = align[align["objective_id"].isna()].head(2000), align[align["objective_id"].notna()]
    empty = pd.DataFrame(columns=["kpi_id", "period", "value"])
    frames = {"items": items, "alignment_items": align, "events": events, "deps": deps,
              "kpis": pd.DataFrame(columns=["id", "code", "name", "direction", "target", "tolerance", "owner",
                                            "objective_id"]),
              "readings": empty.assign(period=pd.to_datetime(empty["period"])),
              "incentives": pd.DataFrame(columns=["kpi_id", "team", "weight"]),
              "effects": pd.DataFrame(columns=["kpi_id", "effect", "objective_code"]),
              "objectives": OBJECTIVES,
              "signals": pd.DataFrame(columns=["id", "state", "period", "opened_at", "closed_at", "entity", "kpi",
                                               "entity_id", "owner", "message"]),
              "batches": pd.DataFrame(columns=["kind", "state", "source", "file_name", "created_at"]),
              "people": pd.DataFrame(columns=["name", "team", "role_title"])}
    results = {
        "baseline (one groupby by team)": timed(lambda: align.groupby("team")["objective_id"].agg(["size", "count"])),
        "alignment view": timed(lambda: alignment_report(align, OBJECTIVES, measured)),
        "rule counts (5 rules)": timed(lambda: rule_counts(align, rules)),
        "suggestions (2,000 unlinked)": timed(lambda: suggest_objectives(unlinked, OBJECTIVES, linked)),
    }
    try:
        results["executive report (now + earlier)"] = timed(lambda: build_report(frames, ReportOptions()))
    except Exception as exc:  # noqa: BLE001 - a synthetic frame the report cannot take is reported, not fatal
        print(f"executive report skipped: {type(exc).__name__}: {exc}")
    base = results["baseline (one groupby by team)"]
    print(f"{'case':36} {'seconds':>9} {'× baseline':>11}")
    for name, secs in results.items():
        print(f"{name:36} {secs:9.3f} {secs / base:10.1f}×")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:,.0f} MB")
    targets = {"alignment view": 1.0, "rule counts (5 rules)": 2.0, "suggestions (2,000 unlinked)": 5.0,
               "executive report (now + earlier)": 10.0}
    print("Targets (informational): " + "; ".join(
        f"{k} ≤ {v:g} s {'PASS' if results.get(k, 1e9) <= v else 'MISS'}" for k, v in targets.items()))


if __name__ == "__main__":
    main()
