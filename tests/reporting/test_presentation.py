"""Tables as a person reads them (core.reporting.presentation), vectorised: the same cells as cell by cell."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.alignment import queries as alignment_queries
from core.importing.service import import_path
from core.reporting.presentation import cell_text, label_of, present
from core.store.db import make_engine, upgrade_schema
from tests.conftest import REALDATA


def test_presented_real_items_equal_the_cell_by_cell_rule(tmp_path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade_schema(eng)
    import_path(eng, REALDATA / "jira_cloud_cs4483_allfields.csv", user="tester")
    items = alignment_queries.alignment_items_frame(eng)
    eng.dispose()
    items["mixed"] = [{"a": 1} if i % 3 == 0 else (None if i % 3 == 1 else "text") for i in range(len(items))]
    items["rows"] = pd.Series([i if i % 2 else None for i in range(len(items))], dtype=object)
    before = items.copy()
    shown = present(items).frame
    pd.testing.assert_frame_equal(items, before)  # no mutation
    assert len(items) > 50
    for name in ("title", "owner", "team", "mixed", "rows", "attributes"):
        label = label_of(name)
        expected = [cell_text(v) for v in items[name]]
        got = shown[label].tolist()
        assert got == expected, name
        assert not any(isinstance(v, float) and np.isnan(v) for v in got)  # blanks are None, never NaN
    assert set(shown[label_of("status")].dropna()) <= {"To do", "In progress", "Blocked", "Done"}
