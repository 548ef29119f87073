"""The import benchmark's cases, each run in a child process by bench_import.py (``--child CASE PATH``).

Each takes the input file, a fresh SQLite path and an optional row limit, and returns a JSON-able dict
with at least ``seconds``. Not a benchmark script itself (run_all.py runs only ``bench_*.py``).
"""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from benchlib import Result, reset_peak, vmhwm_mb
from make_tracker import DATE_COLUMNS, HEADER, changed_twin

SOURCE, KIND, USER = "bench-tracker", "work_items", "bench"


def _read_frame(path: Path, xlsx_engine: str, limit: int | None = None) -> Any:
    """Read the tracker with pandas; csv dates parsed (ISO), as xlsx gives them."""
    import pandas as pd

    if path.suffix == ".xlsx":
        return pd.read_excel(path, engine=xlsx_engine, nrows=limit)
    return pd.read_csv(path, parse_dates=list(DATE_COLUMNS), date_format="%Y-%m-%d", nrows=limit)


def _plain_table() -> tuple[Any, Any]:
    """The floor's table: the 12 columns as they come (text, datetime, float) plus an integer key."""
    import sqlalchemy as sa

    def col_type(name: str) -> Any:
        return sa.DateTime if name in DATE_COLUMNS else sa.Float if name == "Effort" else sa.Text

    md = sa.MetaData()
    columns = [sa.Column("id", sa.Integer, primary_key=True)] + [sa.Column(c, col_type(c)) for c in HEADER]
    return md, sa.Table("tracker", md, *columns)


def _records(df: Any) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (str, float, datetime; None for blanks), built column by column."""
    import pandas as pd

    columns = []
    for name in df.columns:
        s = df[name]
        values = s.dt.to_pydatetime() if s.dtype.kind == "M" else s
        columns.append(pd.Series(values, index=s.index, dtype=object).where(s.notna(), None).tolist())
    names = list(df.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def case_floor(path: Path, db: Path, limit: int | None = None) -> Result:
    """pandas read + one Core executemany of every row, one transaction."""
    import sqlalchemy as sa

    md, table = _plain_table()
    engine = sa.create_engine(f"sqlite:///{db}")
    md.create_all(engine)
    t0, c0 = time.perf_counter(), time.process_time()
    df = _read_frame(path, "calamine", limit)
    records = _records(df)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), records)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": stored}


def _naive_model() -> tuple[type, Any]:
    """The SQLModel class a first version would write (defined on demand: only the naive case needs it)."""
    import sqlalchemy as sa
    from sqlmodel import Field, SQLModel

    def naive_dt() -> Any:  # sqlmodel 0.0.50 maps plain datetime to a UTC type that rejects naive values
        return Field(default=None, sa_type=sa.DateTime())

    class TrackerRow(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        key: str
        title: str
        status: str
        owner: str
        team: str
        created: datetime | None = naive_dt()
        due: datetime | None = naive_dt()
        updated: datetime | None = naive_dt()
        effort: float | None = None
        rag: str
        priority: str
        notes: str

    return TrackerRow, SQLModel.metadata


def case_naive(path: Path, db: Path, limit: int | None = None) -> Result:
    """pandas read (openpyxl for xlsx) + one SQLModel object and session.add per row, one commit."""
    from sqlmodel import Session, create_engine, func, select

    model, metadata = _naive_model()
    engine = create_engine(f"sqlite:///{db}")
    metadata.create_all(engine)
    t0 = time.perf_counter()
    df = _read_frame(path, "openpyxl", limit)
    with Session(engine) as session:
        for r in df.itertuples(index=False):
            session.add(model(key=r.Key, title=r.Title, status=r.Status, owner=r.Owner, team=r.Team,
                              created=r.Created.to_pydatetime(), due=r.Due.to_pydatetime(),
                              updated=r.Updated.to_pydatetime(), effort=r.Effort, rag=r.RAG,
                              priority=r.Priority, notes=r.Notes))
        session.commit()
    seconds = time.perf_counter() - t0
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(model)).one()
    return {"seconds": seconds, "rows": stored}


def _counts(result: Any) -> dict[str, int]:
    return {k: int(getattr(result, k)) for k in ("inserted", "updated", "unchanged", "rejected")}


def case_throughline(path: Path, db: Path, limit: int | None = None) -> Result:
    """Throughline end to end (read, map, validate, plan, commit); the same file again (no change); its changed twin.

    Peak memory per step: VmHWM after the first import, and after the update with the peak reset before it.
    """
    try:
        from core.importing.service import import_path
        from core.store.db import make_engine, upgrade_schema
    except ImportError as exc:
        return {"skipped": str(exc)}
    engine = make_engine(f"sqlite:///{db}")
    upgrade_schema(engine)  # schema setup is not timed, as create_all is not for the other cases
    t0, c0 = time.perf_counter(), time.process_time()
    first = import_path(engine, path, source=SOURCE, kind=KIND, user=USER)
    t1, c1 = time.perf_counter(), time.process_time()
    first_peak = vmhwm_mb()
    again = import_path(engine, path, source=SOURCE, kind=KIND, user=USER)
    t2 = time.perf_counter()
    reset = reset_peak()
    t3, c3 = time.perf_counter(), time.process_time()
    update = import_path(engine, changed_twin(path), source=SOURCE, kind=KIND, user=USER)
    t4, c4 = time.perf_counter(), time.process_time()
    return {"seconds": t1 - t0, "reimport_seconds": t2 - t1, "update_seconds": t4 - t3, "cpu_seconds": c1 - c0,
            "update_cpu_seconds": c4 - c3, "first": _counts(first),
            "reimport": _counts(again), "update": _counts(update), "update_events": int(update.status_events),
            "first_peak_mb": first_peak, "update_peak_mb": vmhwm_mb() if reset else None}


def case_eventlog(path: Path, db: Path, limit: int | None = None) -> Result:
    """The event log at default settings, as ``python -m core import FILE`` imports it; peak = VmHWM."""
    from core.errors import ImportRefused
    from core.importing.service import import_path
    from core.store.db import make_engine, upgrade_schema

    engine = make_engine(f"sqlite:///{db}")
    upgrade_schema(engine)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        result = import_path(engine, path, user=USER)
    except ImportRefused as exc:
        return {"refused": str(exc), "seconds": time.perf_counter() - t0}
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "rows_read": int(result.rows_read), "items": int(result.inserted),
            "rejected": int(result.rejected), "status_events": int(result.status_events), "vmhwm_mb": vmhwm_mb()}


def case_read_csv(path: Path, db: Path, limit: int | None = None) -> Result:
    """The event log's floor: ``pandas.read_csv`` of the same file, default arguments."""
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path)
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0, "rows": len(frame),
            "vmhwm_mb": vmhwm_mb()}


def case_eventlog_floor(path: Path, db: Path, limit: int | None = None) -> Result:
    """The least an event-log import can cost (bench/eventlog_floor.py): read, parse, keep the latest, insert."""
    from collections import defaultdict

    from eventlog_floor import TOTAL, store_floor

    spent: dict[str, list[float]] = defaultdict(list)
    c0 = time.process_time()
    store_floor(path, spent)
    return {"seconds": spent[TOTAL][0], "cpu_seconds": time.process_time() - c0, "vmhwm_mb": vmhwm_mb()}


CASES: dict[str, Callable[[Path, Path, int | None], Result]] = {
    "floor": case_floor, "naive": case_naive, "throughline": case_throughline, "eventlog": case_eventlog,
    "read_csv": case_read_csv, "eventlog_floor": case_eventlog_floor}
