"""Stored views (core.store.snapshots, core.reporting.views) are what the raw tables give, for the data version they
are stored under, after imports, an undo and an edit; and the codec gives back exactly what it was given."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.alignment.rules import Link, link_items
from core.importing.service import import_path
from core.importing.undo import undo_batch
from core.reporting import views
from core.sample import load_sample
from core.store import snapshot_codec as codec
from core.store import snapshots, tables
from tests.conftest import SERVICENOW


def same(a: object, b: object, path: str = "") -> None:
    """Deep equality of what a view holds: frames and series exactly (dtypes too), NaN equal to NaN."""
    if isinstance(a, pd.DataFrame):  # a blank is a blank: None and NaN in a text column read back as one
        pd.testing.assert_frame_equal(_blanks(a), _blanks(b), obj=path)  # type: ignore[arg-type]
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=path)  # type: ignore[arg-type]
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for n, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{n}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), path
    else:
        assert a == b or (a is pd.NaT and b is pd.NaT), f"{path}: {a!r} != {b!r}"


def _blanks(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in range(out.shape[1]):
        if out.iloc[:, c].dtype == object:
            col = out.iloc[:, c]
            out.isetitem(c, col.where(col.notna(), None))
    return out


def test_the_codec_gives_back_frames_of_every_kind_exactly() -> None:
    df = pd.DataFrame({"n": [1, 2, 3], "s": ["a", None, "c"], "t": pd.to_datetime(["2024-01-01", None, "2025-02-03"]),
                       "attrs": [{"Priority": "P1"}, None, {"tags": ["x", 2]}], "mixed": [1, "x", 2.5],
                       "cat": pd.Categorical(["p", "q", "p"]), "flag": [True, False, None],
                       "when": [pd.Timestamp("2024-01-01"), None, pd.Timestamp("2024-01-03 10:00")]},
                      index=pd.Index([5, 6, 7], name="id"))
    value = {"frame": df, "empty": df.iloc[0:0], 0.85: 3.5, "series": pd.Series([1.0, np.nan], name="x"),
             "pair": (1, pd.NaT), "nan": float("nan"), "day": date(2026, 1, 2), "span": pd.Timedelta(hours=5),
             "matrix": pd.DataFrame([[1.0, -0.4], [-0.4, 1.0]], index=["A", "B"], columns=["A", "B"]),
             "nested": [{"k": [np.int64(3), np.float64(0.5)]}]}
    same(value, codec.decode(codec.encode(value)))


def test_the_codec_refuses_what_it_cannot_restore_and_bytes_it_did_not_write() -> None:
    with pytest.raises(codec.NotStorable):
        codec.encode({"x": object()})
    with pytest.raises(ValueError):
        codec.decode(b"\x80\x04pickle")


def test_a_truncated_stored_view_is_refused_at_every_length_and_recomputed(engine) -> None:
    """A copy cut short (a failed write, a damaged backup) is never shown half-read nor raised to a page."""
    payload = codec.encode({"frame": pd.DataFrame({"n": range(300), "s": ["x", None, "z"] * 100}), "k": (1, 2)})
    for cut in range(len(payload)):
        with pytest.raises(ValueError):
            codec.decode(payload[:cut])
    load_sample(engine)
    version = tables.data_version(engine)
    inp = views.ViewInputs(engine, version, None)
    choices = views.view(inp, "flow_choices")
    t = tables.T["viewsnapshot"]
    with engine.begin() as conn:
        whole = conn.execute(sa.select(t.c.payload).where(t.c.name == "flow_choices")).scalar_one()
        conn.execute(sa.update(t).where(t.c.name == "flow_choices").values(payload=bytes(whole)[: len(whole) // 2]))
    key = snapshots.ViewKey("flow_choices", None)
    assert snapshots.load(engine, key, version) == (False, None)
    same(views.view(views.ViewInputs(engine, version, None), "flow_choices"), choices)  # recomputed, and stored
    assert snapshots.load(engine, key, version)[0]


def _check_every_stored_view(engine) -> list[str]:
    """Refresh, then compare each stored opening view with the same view computed from the raw tables."""
    views.refresh(engine)
    version = tables.data_version(engine)
    stored = views.ViewInputs(engine, version, None)
    direct = views.ViewInputs(engine, version, None, stored=False)
    names = []
    for name, params in views.default_views(direct, views_opts()):
        assert snapshots.is_stored(engine, snapshots.ViewKey(name, None, params), version), \
            f"{name} was not stored by the refresh"
        kept = views.view(stored, name, *params)  # read back as a page reads it (unpacked: view_packing)
        fresh = views.view(direct, name, *params)
        if name == "overview":  # "days ago" follows the clock, not the data (views.overview ages it when read)
            fresh, kept = ({**r, "freshness": r["freshness"].drop(columns="days_ago")} for r in (fresh, kept))
        same(fresh, kept, name)
        names.append(name)
        if name == "flow_report":  # its slices of the timeline are kept as row positions (view_packing)
            raw = snapshots.load(engine, snapshots.ViewKey(name, None, params), version)[1]
            assert all(isinstance(raw[k], dict) for k in views.FLOW_SLICES)  # type: ignore[index]
    same(stored.flow(), direct.flow(), "frames:flow")
    same(stored.alignment(), direct.alignment(), "frames:alignment")
    return names


def views_opts():  # the options the refresh uses by default
    from core.reporting.report import ReportOptions

    return ReportOptions.from_env()


def test_stored_views_equal_the_raw_tables_after_imports_an_undo_and_an_edit(engine) -> None:
    load_sample(engine)
    log = import_path(engine, SERVICENOW, user="tester")
    first = tables.data_version(engine)
    assert _check_every_stored_view(engine) == ["overview", "kpi_report", "flow_report", "reality",
                                                 "alignment_report", "rule_counts", "suggestions"]

    undo_batch(engine, log.sheets[0].batch_id, user="tester")  # the event log's items go
    assert tables.data_version(engine) > first
    overview = snapshots.ViewKey("overview", None, (28, 14))
    assert snapshots.load(engine, overview, tables.data_version(engine)) == (False, None)  # never the old one
    _check_every_stored_view(engine)
    assert snapshots.load(engine, overview, first) == (False, None)  # older versions pruned on the next save

    items = views.ViewInputs(engine, tables.data_version(engine), None, stored=False).alignment()["items"]
    unlinked = items[items["objective"].isna()]["id"].head(3).tolist()
    objective = str(items["objective"].dropna().iloc[0])
    link_items(engine, [Link(int(i), objective) for i in unlinked], "tester", "test: an edit")
    _check_every_stored_view(engine)
    linked = views.view(views.ViewInputs(engine, tables.data_version(engine), None), "alignment_report", (), (),
                        views.view(views.ViewInputs(engine, tables.data_version(engine), None),
                                   "alignment_choices")["span"])
    assert set(unlinked) <= set(linked["items"].loc[linked["items"]["objective"] == objective, "id"])


def test_a_scoped_viewer_gets_views_of_their_team_only(engine) -> None:
    load_sample(engine)
    version = tables.data_version(engine)
    everyone = views.view(views.ViewInputs(engine, version, None), "flow_choices")
    team = next(t for t in everyone["teams"])
    theirs = views.view(views.ViewInputs(engine, version, team), "flow_choices")
    assert theirs["teams"] == [team] and theirs["items"] < everyone["items"]
    again = views.view(views.ViewInputs(engine, version, None), "flow_choices")  # not the scoped copy
    assert again["items"] == everyone["items"]


def test_the_cli_refreshes_the_views_the_pages_open_with(engine, db_url, monkeypatch, capsys) -> None:
    from core.cli import main

    load_sample(engine)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["refresh-views"]) == 0
    assert "everyone: 7 views computed" in capsys.readouterr().out  # the opening views of views.default_views
    names = {name for name, _scope, _params, version, _s in snapshots.stored_versions(engine)
             if version == tables.data_version(engine)}
    assert {"overview", "flow_report", "alignment_report", "kpi_report", "reality", "rule_counts",
            "suggestions"} <= names
    assert main(["refresh-views"]) == 0  # a second refresh of the same data only checks they are there
    assert "everyone: 0 views computed in 0.0 s; every opening view is stored" in capsys.readouterr().out


def test_a_view_stored_by_other_code_is_not_served_after_an_upgrade(engine, monkeypatch) -> None:
    """Same data, new code: the older code's copy (its shape or rules may differ) is recomputed, not read."""
    load_sample(engine)
    version = tables.data_version(engine)
    key = snapshots.ViewKey("flow_choices", None)
    monkeypatch.setattr(snapshots, "code_fingerprint", lambda: "an-older-release")
    older = views.view(views.ViewInputs(engine, version, None), "flow_choices")
    assert snapshots.load(engine, key, version)[0]  # stored for the older code
    monkeypatch.undo()
    assert snapshots.load(engine, key, version) == (False, None)
    now = views.view(views.ViewInputs(engine, version, None), "flow_choices")
    same(now, older)  # recomputed (and the same, since the code did not really change)
    assert snapshots.load(engine, key, version)[0]
    assert len([r for r in snapshots.stored_versions(engine) if r[0] == "flow_choices"]) == 2  # both, apart
