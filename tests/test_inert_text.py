"""Spreadsheet text is shown as text: a title with <script>, <img onerror> or a Markdown link never becomes HTML,
a link or a remote image on any page (Markdown elements get it escaped; tables show it verbatim)."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.importing.service import import_file
from core.sample import load_sample
from tests.conftest import csv_bytes

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
PAYLOADS = ["<script>alert('x')</script> rota", "<img src=x onerror=alert(1)> laptop",
            "[click me](http://evil.example/steal) ![pixel](http://evil.example/p.png) review"]
RAW = ["<script", "<img", "](http", "![", "onerror=alert(1)>"]


def _texts(at: AppTest) -> list[str]:
    """Every string Streamlit renders as Markdown on the page (values, labels, options)."""
    out: list[str] = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "header", "subheader"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("metric", "button", "checkbox", "text_input", "selectbox", "radio", "multiselect", "expander",
                 "tabs", "toggle"):
        for e in getattr(at, kind, []):
            out.append(str(getattr(e, "label", "")))
            if kind == "radio":
                out += [str(o) for o in getattr(e, "options", [])]
    return out


@pytest.fixture
def hostile(engine, monkeypatch, db_url) -> Any:
    monkeypatch.setenv("DATABASE_URL", db_url)
    load_sample(engine)
    rows = [["Key", "Title", "Status", "Team", "Owner", "Depends on"]]
    rows += [[f"XSS-{i}", t, "Blocked" if i == 1 else "In progress", "Service Desk", "Marcus Reid",
              "XSS-1" if i > 1 else ""] for i, t in enumerate(PAYLOADS, start=1)]
    import_file(engine, csv_bytes(rows), "hostile <b>tracker</b> [x](http://evil.example).csv", user="t")
    return engine


@pytest.mark.parametrize("page", PAGES)
def test_hostile_titles_are_inert_on_every_page(hostile, page) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=180).run()
    assert not at.exception
    for text in _texts(at):
        assert not any(raw in text for raw in RAW), f"{page}: {text!r}"
    # Streamlit's own table download is off (it writes "=HYPERLINK(…)" raw); each table offers the neutralised one.
    tables = [d for d in at.dataframe if d.editing_mode == "read_only"]
    csv_buttons = [b for b in at.download_button if "csv" in b.label.lower()]
    assert len(csv_buttons) >= len(tables), f"{page}: {len(tables)} tables, {len(csv_buttons)} CSV downloads"


def test_streamlits_raw_table_export_is_switched_off() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True


def test_tables_show_the_titles_verbatim(hostile) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "alignment.py"), default_timeout=180)
    at.session_state["alignment_tab"] = "Unlinked work"  # the page runs only its open tab
    at.run()
    at.multiselect(key="bulk_team").select("Service Desk").run()
    shown = {str(v) for d in at.dataframe for col in d.value.columns for v in d.value[col].tolist()}
    assert set(PAYLOADS) <= shown  # the unlinked-work grid: exactly what the tracker says, as text
    history = AppTest.from_file(str(ROOT / "pages" / "history.py"), default_timeout=120).run()
    files = history.dataframe[0].value["File"].tolist()
    assert "hostile <b>tracker</b> [x](http://evil.example).csv" in files
    batches = next(s for s in history.selectbox if s.label == "Batch").options
    assert any("hostile <b>tracker</b> [x](http://evil.example).csv" in o for o in batches)  # plain-text picker
