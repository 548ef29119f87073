"""Profiling text columns once per distinct value gives what profiling every cell gives, on the real exports;
the column-by-column JSON of before-images is ``json.dumps`` whatever one column holds; inserts that leave out
columns of blanks store what inserts binding every NULL store."""
from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from core.importing import profile
from core.importing.read import read_bytes
from core.importing.service import import_path
from core.store import writes
from core.store.db import make_engine, upgrade_schema
from core.store.tables import T
from tests.conftest import GMPP, REALDATA, SERVICENOW

REAL_FILES = sorted(p for p in REALDATA.glob("*.*") if p.suffix.lower() in {".csv", ".xlsx", ".xls"})


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_text_columns_profile_as_every_cell_does(path, monkeypatch) -> None:
    read = read_bytes(path.read_bytes(), path.name)
    for table in read.tables + read.set_aside:
        sample = profile.blank_nulls(profile._sample(table.data))
        for header in sample.columns:
            present = sample[header][sample[header].notna()]
            if not len(present) or pd.api.types.infer_dtype(present, skipna=False) != "string":
                continue
            fast, plain = profile.distinct_strings(present), profile.distinct_cells(present)
            assert (fast is None) == (plain is None), header
            if fast is not None:
                pd.testing.assert_series_equal(fast[0], plain[0])
                pd.testing.assert_series_equal(fast[1], plain[1], check_names=False)
                assert fast[2].tolist() == plain[2].tolist(), header
        fast_profiles = profile.profile_table(table.data)
        monkeypatch.setattr(profile, "distinct_strings", profile.distinct_cells)
        plain_profiles = profile.profile_table(table.data)
        monkeypatch.undo()
        assert {h: dataclasses.astuple(p) for h, p in fast_profiles.items()} == {
            h: dataclasses.astuple(p) for h, p in plain_profiles.items()}


def test_blank_and_padded_texts_profile_as_every_cell_does() -> None:
    cells = pd.Series(["  ", "b ", " b", "a", "", "a", "c", " "] * 300, dtype=object)
    fast, plain = profile.distinct_strings(cells), profile.distinct_cells(cells)
    pd.testing.assert_series_equal(fast[0], plain[0])
    assert fast[1].tolist() == plain[1].tolist() == ["b", "a", "c"]
    assert fast[2].tolist() == plain[2].tolist()
    assert profile.distinct_strings(pd.Series(["", "  "], dtype=object)) is None


@pytest.mark.parametrize("values", [
    ["plain", "ü", "quote \" and \\", "😀", ""] * 3,  # text only
    list(range(-3, 12)),  # whole numbers only
    [None] * 6,
    [{"__dt__": "2024-01-01T00:00:00"}, None, {"__dt__": "2024-01-02T03:04:05.123000"}] * 4,  # dates as kept
    ["todo", "done", None, 3, 2.5, True, "todo", 1, 1.0, False, float("nan")] * 3,  # few values, mixed types
    [{"__dt__": 1}, {"__dt__": "x", "y": 1}, None],  # dicts that are not dates
])
def test_json_columns_of_one_kind_are_json_dumps(values: list) -> None:
    names = ["id", "value"]
    columns = [list(range(len(values))), values]
    assert writes.json_object_texts(names, columns) == [json.dumps(dict(zip(names, r))) for r in zip(*columns)]


@pytest.mark.parametrize("path", [GMPP, SERVICENOW], ids=lambda p: p.name)
def test_blank_columns_left_out_of_inserts_store_what_binding_nulls_stores(path, tmp_path, monkeypatch) -> None:
    """Columns of blanks only are left out of a bulk insert (SQLite stores NULL for them): the stored tables are
    those of an insert that binds every NULL, on real exports (a tracker and an event log)."""
    contents = []
    for leave_out in (True, False):
        if not leave_out:
            monkeypatch.setattr(writes, "_stores_null_unsaid", lambda s, column: False)
        engine = make_engine(f"sqlite:///{tmp_path / f'{leave_out}.db'}")
        upgrade_schema(engine)
        import_path(engine, path, user="t")
        with engine.connect() as conn:
            contents.append({t: [tuple(r) for r in conn.execute(sa.select(T[t]).order_by(T[t].c.id))]
                             for t in ("person", "team", "workitem", "statusevent")})
        engine.dispose()
    assert contents[0]["workitem"] and contents[0] == contents[1]


@pytest.mark.parametrize("path", [p for p in REAL_FILES if p.stat().st_size > 200_000], ids=lambda p: p.name)
def test_measuring_some_distinct_values_profiles_real_columns_as_measuring_all(path, monkeypatch) -> None:
    """Above MEASURED_DISTINCT the shares are estimates: on the large real exports they decide the same things."""
    read = read_bytes(path.read_bytes(), path.name)
    for table in read.tables:
        monkeypatch.setattr(profile, "MEASURED_DISTINCT", 400)  # thin far harder than the default does
        thin = profile.profile_table(table.data)
        monkeypatch.setattr(profile, "MEASURED_DISTINCT", 10**9)
        full = profile.profile_table(table.data)
        for header, a in full.items():
            b = thin[header]
            assert (b.filled, b.distinct, b.max_repeat, b.sampled) == (a.filled, a.distinct, a.max_repeat, a.sampled)
            for share in ("date_share", "number_share", "key_share", "person_share", "integer_share"):
                assert abs(getattr(a, share) - getattr(b, share)) <= 0.05, (header, share, a, b)
            assert (a.date_share >= 0.5) == (b.date_share >= 0.5) and (a.key_share >= 0.9) == (b.key_share >= 0.9)


def test_measured_values_keep_the_commonest_and_weigh_the_spread_for_all_cells() -> None:
    import numpy as np

    values = pd.Series([f"v{i}" for i in range(10_000)], index=range(100, 10_100), dtype=object)
    weight = np.ones(10_000)
    weight[[5, 7_000]] = 500.0  # two values most cells write
    kept, shown, w = profile.measured_values(values, values, weight)
    assert len(kept) == profile.MEASURED_DISTINCT and {"v5", "v7000"} <= set(kept)
    assert kept.index.is_monotonic_increasing  # the order values first appear in
    assert abs(w.sum() - weight.sum()) < 1e-6 and w[kept.tolist().index("v5")] == 500.0
    small = values.iloc[:50]
    assert profile.measured_values(small, small, weight[:50])[0] is small
