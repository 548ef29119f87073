"""One process of the concurrency test: a writer (import, undo, import, ...) or a reader (compute views).

Prints one JSON line with what it did, so the test can check that nothing was lost.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROWS = 200


def writer(url: str, ident: int, seconds: float, folder: Path) -> dict:
    from core.importing.commit import undo_batch
    from core.importing.service import import_path
    from core.store.db import make_engine

    engine = make_engine(url)
    csv = folder / f"writer_{ident}.csv"
    csv.write_text("Ref,Task,Status\n" + "".join(f"W{ident}-{i},Task {i},Doing\n" for i in range(ROWS)))
    out = {"role": "writer", "id": ident, "imports": 0, "undos": 0, "errors": [], "last": None}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if out["last"] is None or out["last"]["action"] == "undo":
                result = import_path(engine, csv, source=f"w{ident}", user=f"writer{ident}")
                out["imports"] += 1
                out["last"] = {"action": "import", "batch": result.batch_ids[0]}
            else:
                undo_batch(engine, out["last"]["batch"], f"writer{ident}")
                out["undos"] += 1
                out["last"] = {"action": "undo", "batch": out["last"]["batch"]}
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
    return out


def reader(url: str, ident: int, seconds: float) -> dict:
    from core.flow import queries as flow_queries
    from core.flow.report import flow_report
    from core.store.db import make_engine

    engine = make_engine(url)
    out = {"role": "reader", "id": ident, "reads": 0, "partial": [], "errors": []}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            items = flow_queries.work_items_frame(engine)
            per_source = items.groupby("source").size()
            partial = per_source[(per_source != ROWS) & per_source.index.str.startswith("w")]
            out["partial"] += [f"{s}: {n}" for s, n in partial.items()]
            flow_report(items, flow_queries.status_events_frame(engine), flow_queries.dependencies_frame(engine))
            out["reads"] += 1
        except Exception as exc:  # noqa: BLE001
            out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
    return out


if __name__ == "__main__":
    role, url, ident, seconds, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5])
    report = writer(url, ident, seconds, folder) if role == "writer" else reader(url, ident, seconds)
    print(json.dumps(report))
