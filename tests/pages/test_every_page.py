"""Every page, on the sample plus every real export in ../shared/realdata imported at defaults, stays readable.

What a user sees is product: no page may raise, show Python's None/nan/NaN/Infinity or a dict's text, a
snake_case column label, or a time of "00:00:00"; and no chart may have an axis a wild value has wrecked
(every explicit range finite and plausible, every plotted number finite). The database is built once for
the module: the sample scenario, then each real file as `python -m core import FILE` would take it.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.importing.service import import_path
from core.sample import load_sample
from core.store.db import make_engine, upgrade_schema
from tests.conftest import REALDATA, SERVER_URL
from ui.nav import PAGES

ROOT = Path(__file__).resolve().parents[2]
BAD_TEXT = re.compile(r"\bNone\b(?! of\b)|\bnan\b|\bNaN\b|Infinity|\{'|00:00:00")
SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
MAX_ABS = 1e12  # no plotted number a person could read is larger (a budget in pounds is not)
MAX_DAYS = 36_500  # an axis of days or weeks beyond a century was wrecked by a wild date
FILE_NAME_COLUMNS = {"Source", "Workflow", "Source file", "File", "Sheet", "Waits on", "Waiting item", "Key", "Title"}


def _real_files() -> list[Path]:
    return sorted(p for p in REALDATA.iterdir() if p.is_file() and p.suffix.lower() in {".csv", ".xlsx", ".xls"})


@pytest.fixture(scope="module")
def loaded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the module: the sample plus every real export, imported at defaults."""
    admin = None
    if SERVER_URL:
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('every_page') / 'throughline.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    load_sample(engine)
    for path in _real_files():
        import_path(engine, path, user="tester")
    engine.dispose()
    yield url
    if admin is not None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _texts(at: AppTest) -> list[str]:
    """Every piece of prose on the page: titles, markdown, captions, alerts, metric labels and values, tab labels."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    out += [t.label for t in at.tabs]
    return out


def _plotly_specs(at: AppTest) -> list[dict]:
    found: list[dict] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if proto is not None and type(proto).__name__ == "PlotlyChart":
            found.append(json.loads(proto.spec))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def _numbers(values: object) -> list[float]:
    if isinstance(values, dict):  # plotly's typed arrays ({"dtype": ..., "bdata": ...}) are decoded by it, skip
        return []
    if not isinstance(values, list):
        return []
    flat: list[float] = []
    for v in values:
        if isinstance(v, list):
            flat += _numbers(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat.append(float(v))
    return flat


def _chart_problems(spec: dict) -> list[str]:
    problems: list[str] = []
    layout = spec.get("layout", {})
    for name, axis in layout.items():
        if not re.match(r"^[xy]axis\d*$", name) or not isinstance(axis, dict):
            continue
        rng = axis.get("range")
        title = str((axis.get("title") or {}).get("text", "") if isinstance(axis.get("title"), dict)
                    else axis.get("title") or "")
        if axis.get("type") == "log":
            problems.append(f"{name} is a log axis ({title})")
        if rng and axis.get("type") != "date" and all(isinstance(r, (int, float)) for r in rng):
            if not all(math.isfinite(r) for r in rng):
                problems.append(f"{name} range {rng} is not finite")
            limit = MAX_DAYS if re.search(r"day|week", title, re.I) else MAX_ABS
            if any(abs(r) > limit for r in rng):
                problems.append(f"{name} range {rng} beyond plausible ({title})")
    for trace in spec.get("data", []):
        for key in ("x", "y", "z", "values"):
            bad = [v for v in _numbers(trace.get(key)) if not math.isfinite(v) or abs(v) > MAX_ABS]
            if bad:
                problems.append(f"{trace.get('type')} trace {trace.get('name')!r} {key} holds {bad[:3]}")
    return problems


def _table_problems(label: str, frame: pd.DataFrame, config: dict[str, dict]) -> list[str]:
    """What a person would read wrong in one table; ``config`` is its column config (labels, types, hidden)."""
    problems: list[str] = []
    for column in frame.columns:
        own = config.get(str(column), config.get(f"name:{column}", {})) or {}
        if own.get("hidden"):
            continue
        shown_as = own.get("label") or str(column)
        if SNAKE.match(shown_as):
            problems.append(f"{label}: column label {shown_as!r} is snake_case")
        col = frame[column]
        if pd.api.types.is_datetime64_any_dtype(col):
            kind = own.get("type_config", {})
            as_date = kind.get("type") == "date" or ("format" in kind and "HH" not in kind["format"])
            dated = col.dropna()
            if not as_date and len(dated) and (dated == dated.dt.normalize()).all():
                problems.append(f"{label}: {column!r} shows dates as times at 00:00:00")
            continue
        if pd.api.types.is_float_dtype(col):
            if col.isin([math.inf, -math.inf]).any():
                problems.append(f"{label}: {column!r} shows Infinity")
            continue
        for value in col.dropna().head(2000):
            if isinstance(value, (dict, list)):
                problems.append(f"{label}: {column!r} shows a Python {type(value).__name__}: {str(value)[:60]}")
                break
            text = str(value)
            if isinstance(value, (dt.datetime, pd.Timestamp)) and "00:00:00" in text:
                problems.append(f"{label}: {column!r} shows {text}")
                break
            if isinstance(value, str) and (text.strip() in {"None", "nan", "NaN", "NaT", "inf", "Infinity"}
                                           or "{'" in text):
                problems.append(f"{label}: {column!r} shows {text[:60]!r}")
                break
            if (isinstance(value, str) and column not in FILE_NAME_COLUMNS and SNAKE.match(text)
                    and text in {"in_progress", "work_item", "age_days"}):
                problems.append(f"{label}: {column!r} shows the code {text!r}")
                break
    return problems


TRACKED_TABS = {"flow": "bottlenecks_tab", "my_work": "my_work_tab", "alignment": "alignment_tab"}  # pages that run only the open tab
assert set(TRACKED_TABS) <= {p.key for p in PAGES}


@pytest.mark.parametrize("page", [p for p in PAGES], ids=[p.key for p in PAGES])
def test_every_page_is_true_to_read_with_every_real_export(loaded_url: str, monkeypatch: pytest.MonkeyPatch,
                                                            page) -> None:
    monkeypatch.setenv("DATABASE_URL", loaded_url)
    at = AppTest.from_file(str(ROOT / page.path), default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    problems = _problems(at)
    if page.key in TRACKED_TABS:  # each tab runs only when open: open each in turn
        for label in [t.label for t in at.tabs][1:]:
            at.session_state[TRACKED_TABS[page.key]] = label
            at.run()
            assert not at.exception, (label, [e.value for e in at.exception])
            problems += [f"{label}: {p}" for p in _problems(at)]
    assert not problems, "\n".join(problems[:40])


def _problems(at: AppTest) -> list[str]:
    problems = [f"text: {t[:120]!r}" for t in _texts(at) if BAD_TEXT.search(t)]
    for i, df in enumerate(at.dataframe):
        problems += _table_problems(f"table {i}", df.value, json.loads(df.proto.columns or "{}"))
        if not df.proto.HasField("placeholder") or df.proto.placeholder != "":
            problems.append(f"table {i}: missing values would read 'None' (no blank placeholder)")
    for spec in _plotly_specs(at):
        title = (spec.get("layout", {}).get("title") or {}).get("text", "")
        problems += [f"chart {title!r}: {p}" for p in _chart_problems(spec)]
    return problems
