"""Status vs reality under AppTest: the headline figures and the gap table read as a person would say them."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.kpis.health import COLUMNS
from core.reporting.presentation import label_of
from core.sample import load_sample

REALITY = str(Path(__file__).resolve().parents[2] / "pages" / "reality.py")


def no_lengths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gaps whose start is unknown (a KPI red since an unknown period): none of them has a length."""
    import ui.cache

    real = ui.cache.reality

    def reality(key, stale_days):  # type: ignore[no-untyped-def]
        gaps = real(key, stale_days)
        return gaps.assign(gap_since=pd.NaT, gap_days=None, team=None, source_row=None)

    monkeypatch.setattr(ui.cache, "reality", reality)


def test_the_longest_gap_is_a_dash_when_no_gap_has_a_length(db_env: str, engine, monkeypatch) -> None:
    load_sample(engine)
    no_lengths(monkeypatch)
    at = AppTest.from_file(REALITY, default_timeout=120).run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert figures["Longest gap (days)"] == "—", figures
    assert "nan" not in " ".join(figures.values()).lower()


def test_the_gap_table_has_human_headers_and_blanks_for_missing(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(REALITY, default_timeout=120).run()
    assert not at.exception
    table = at.dataframe[0]
    assert list(table.value.columns) == [label_of(c) for c in COLUMNS] and len(table.value)
    assert not any("_" in str(label) for label in table.value.columns), list(table.value.columns)
    config = json.loads(table.proto.columns)
    assert config["Why it measures red"]["width"] == "large"
    assert table.proto.HasField("placeholder") and table.proto.placeholder == ""  # blank, never "None"
