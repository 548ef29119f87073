"""The import's fast paths give what the plain ones give: partial before-images undo exactly, on real exports;
column-by-column JSON, driver reads, packed change patterns and per-distinct-value parsing match their originals."""
from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.importing.commit import undo_batch
from core.importing.dates import parse_number_column
from core.importing.diff import changed_patterns
from core.importing.plan import TRACE_COLUMNS
from core.importing.queries import work_items_by_id
from core.importing.service import import_file, import_path
from core.store import changelog, tables, writes
from tests.conftest import GMPP, SERVICENOW, csv_bytes
from tests.importing.test_import_engine import data_checksums

BOOKKEEPING = {"id", "last_batch_id", "row_hash", *TRACE_COLUMNS}  # what every update also writes


def read_rows(path, encoding: str = "utf-8-sig") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return [row for row in csv.reader(f)]


def is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def images_of(engine, batch_id: int) -> list[dict]:
    with engine.connect() as conn:
        log = changelog.changelog_of(conn, batch_id)
    return [b if isinstance(b, dict) else json.loads(b) for b in log["before"]]


def test_gmpp_update_of_three_columns_keeps_partial_images_and_undoes_exactly(engine) -> None:
    rows = read_rows(GMPP)
    header = rows[0]
    title, end = header.index("Project Name"), next(i for i, h in enumerate(header) if h.startswith("Project - End"))
    narrative = next(i for i, h in enumerate(header) if h.startswith("Departmental Narrative on Budgeted"))
    first = import_file(engine, csv_bytes(rows), "gmpp_projects.csv", user="t")
    assert (first.inserted, first.rejected) == (235, 0)
    snapshot = data_checksums(engine)
    changed = [header] + [r[:] for r in rows[1:]]
    for r in changed[1:]:  # a title, a date and an unmapped column (an attribute) changed in every row
        r[title] += " (v2)"
        if is_iso_date(r[end]):
            r[end] = (date.fromisoformat(r[end]) + timedelta(days=1)).isoformat()
        r[narrative] = (r[narrative] + " Revised.").strip()
    second = import_file(engine, csv_bytes(changed), "gmpp_projects.csv", user="t")
    assert (second.inserted, second.updated, second.rejected) == (0, 235, 0)
    images = images_of(engine, second.batch_ids[0])
    assert len(images) == 235
    for image in images:  # only what the update wrote: never the key, the source or the creating batch
        assert {"title", "attributes"} <= set(image) <= BOOKKEEPING | {"title", "due_at", "attributes"}
    assert sum("due_at" in image for image in images) == sum(1 for r in rows[1:] if is_iso_date(r[end])) > 100
    again = import_file(engine, csv_bytes(changed), "gmpp_projects.csv", user="t")
    assert (again.updated, again.unchanged) == (0, 235)
    undo_batch(engine, again.batch_ids[0], "t")
    undo_batch(engine, second.batch_ids[0], "t")
    assert data_checksums(engine) == snapshot  # every column of every row as the first import left it


def test_servicenow_event_log_update_of_owners_and_priorities_undoes_exactly(engine) -> None:
    rows = read_rows(SERVICENOW, "utf-8")
    header = rows[0]
    number, owner, priority = header.index("number"), header.index("assigned_to"), header.index("priority")
    updated_at = header.index("sys_updated_at")
    import_file(engine, csv_bytes(rows), "servicenow_incidents.csv", user="t")
    snapshot = data_checksums(engine)
    # the latest row of every third incident: a new resolver, and every fifth a new priority as well
    latest: dict[str, tuple[tuple[str, ...], int]] = {}
    for i, r in enumerate(rows[1:], start=1):
        key = (r[updated_at][6:10], r[updated_at][3:5], r[updated_at][:2], r[updated_at][11:])
        if r[number] not in latest or key >= latest[r[number]][0]:
            latest[r[number]] = (key, i)
    changed = [r[:] for r in rows]
    incidents = sorted(latest)
    for n, incident in enumerate(incidents):
        r = changed[latest[incident][1]]
        if n % 3 == 0:
            r[owner] = "Resolver 9999"
        if n % 5 == 0:
            r[priority] = "1 - Critical"
    second = import_file(engine, csv_bytes(changed), "servicenow_incidents.csv", user="t")
    touched = sum(1 for n in range(len(incidents)) if n % 3 == 0 or n % 5 == 0)
    assert second.inserted == 0 and touched - 5 <= second.updated <= touched  # (a priority may already be 1)
    images = images_of(engine, second.batch_ids[0])
    assert all("owner_id" in im or "priority" in im for im in images)
    assert all("external_key" not in im and "created_batch_id" not in im for im in images)
    undo_batch(engine, second.batch_ids[0], "t")
    assert data_checksums(engine) == snapshot


def test_work_items_by_id_reads_what_rows_by_id_reads(engine) -> None:
    import_path(engine, SERVICENOW, user="t")
    with engine.connect() as conn:
        source = conn.execute(sa.text("select source from workitem limit 1")).scalar_one()
        ids = [r[0] for r in conn.execute(sa.text("select id from workitem order by id"))]
        for wanted in (ids, ids[::7]):  # most of the source (one query) and a few (by id)
            plain = tables.rows_by_id(conn, "workitem", wanted).set_index("id").sort_index()
            fast = work_items_by_id(conn, source, wanted).set_index("id").sort_index()
            assert list(fast.columns) == list(plain.columns)
            for c in fast.columns:  # numbers and dates typed as Core's frame types them; text kept as Python str
                kind = plain[c].dtype.kind
                assert fast[c].dtype.kind == (kind if kind in "iufM" else "O"), c
            pd.testing.assert_frame_equal(fast, plain, check_dtype=False)


def test_update_columns_writes_what_update_rows_writes(engine) -> None:
    import_path(engine, SERVICENOW, user="t")
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(sa.text("select id from workitem order by id limit 600"))]
        writes.update_columns(conn, "workitem", ids, {"title": [f"T{i}" for i in ids], "effort": [1.5] * len(ids)})
        got = conn.execute(sa.text("select id, title, effort from workitem where id <= :m order by id"),
                           {"m": ids[-1]}).all()
    assert [tuple(r) for r in got] == [(i, f"T{i}", 1.5) for i in ids]


@pytest.mark.parametrize("values", [
    [1, 1.0, True, False, None, 0, -3, 2.5, 1e300, float("nan"), float("inf")],
    ["plain", "ü", "quote \" and \\ and\nnewline", "\x01", "😀", ""],
    [{"__dt__": "2024-01-01T00:00:00"}, {"k": [1, "x"]}, [1, 2], {}, None],
])
def test_json_object_texts_are_json_dumps(values: list) -> None:
    names = ["id", "value", "é"]
    columns = [list(range(len(values))), values, list(reversed(values))]
    expected = [json.dumps(dict(zip(names, row))) for row in zip(*columns)]
    assert writes.json_object_texts(names, columns) == expected


def test_changed_patterns_match_numpy_unique_rows() -> None:
    rng = np.random.default_rng(3)
    changed = rng.random((5000, 20)) < 0.1
    patterns, which = changed_patterns(changed)
    assert (patterns[which] == changed).all()  # every row's pattern is its own mask
    assert len(patterns) == len(np.unique(changed, axis=0))
    empty_patterns, empty_which = changed_patterns(np.zeros((0, 4), dtype=bool))
    assert empty_patterns.shape == (0, 4) and len(empty_which) == 0


def test_numbers_parsed_once_per_distinct_text_as_one_by_one() -> None:
    pool = ["12", "1,234.5", "(7)", "12%", "£3.40", "3,5", "abc", "   ", "", "not yet costed, see note", None,
            "1e3", "-0"]
    column = pd.Series([pool[i % len(pool)] for i in range(6500)], dtype=object)
    nums, bad, prose = parse_number_column(column)  # 13 distinct values in 6,500 rows: the per-value path
    parts = [parse_number_column(column.iloc[i:i + 1000]) for i in range(0, len(column), 1000)]  # row by row
    pd.testing.assert_series_equal(nums, pd.concat([p[0] for p in parts]))
    pd.testing.assert_series_equal(bad, pd.concat([p[1] for p in parts]))
    pd.testing.assert_series_equal(prose, pd.concat([p[2] for p in parts]))
    assert bad.sum() > 0 and prose.sum() > 0


@pytest.mark.parametrize("values", [
    ["30-01-2017 12:52", "01-02-2017 00:19", "29-02-2016 01:16", "31-04-2017 10:00", "05-06-2017 23:59"],  # day-first
    ["01/30/2017 12:52:07", "02/01/2017 00:19:00", "12/31/2016 23:00:59"],  # month-first, seconds
    ["01.02.2017", "03.04.2017", "05.06.2018"],  # dotted, undecided by values: day-first
    ["01-02-2017", "03-04-2017"],  # undecided: ambiguous
    ["01-02-2017 10h30", "13-02-2017T08:00", "14-02-2017,09:15"],  # other separators NUMERIC_RE allows
])
def test_fixed_width_dates_parse_as_the_regular_expression_does(values: list[str], monkeypatch) -> None:
    from core.importing import dates

    column = pd.Series(values * 700, dtype=object)  # over the size where dates are parsed once per distinct value
    for raw in (column, pd.Series(values, dtype=object), pd.Series(values + ["soon", "2 hours ago"], dtype=object)):
        fast = dates.parse_date_column(raw)
        monkeypatch.setattr(dates, "fixed_width_numeric", lambda rest: None)
        plain = dates.parse_date_column(raw)
        monkeypatch.undo()
        pd.testing.assert_series_equal(fast.values, plain.values)
        pd.testing.assert_series_equal(fast.bad, plain.bad)
        assert (fast.reasons, fast.formats, fast.notes, fast.ambiguous, fast.order) == (
            plain.reasons, plain.formats, plain.notes, plain.ambiguous, plain.order)


def test_fixed_width_dates_refuse_what_they_cannot_read_exactly() -> None:
    from core.importing.fixed_dates import fixed_width_numeric

    for values in (["1-02-2017 10:00", "11-02-2017 10:00"], ["01-02-2017 10:00", "01-02-17 10:00"],
                   ["٠١-02-2017 10:00"], ["01_02_2017"], ["01-02-2017 10:00 PM"]):
        assert fixed_width_numeric(pd.Series(values, dtype=object)) is None


@pytest.mark.parametrize("value", [None, {}, {"Notes": "Follow up", "é": None, "n": [1, "x"], "d": {"z": 1.5},
                                             "f": float("nan"), "t": True, "i": 3}, [1, 2], "x", 1.0, {1: 2}])
def test_attribute_json_is_json_dumps(value: object) -> None:
    assert writes.json_text(value) == json.dumps(value)


def test_text_cells_cleaned_inline_as_clean_text_does() -> None:
    from core.importing.cells import clean_text, to_text

    cells = pd.Series([f" item {i} " if i % 7 else "   " for i in range(3000)], dtype=object)
    assert to_text(cells).tolist() == [clean_text(v) for v in cells]


def test_titles_joined_per_combination_as_row_by_row_on_the_servicenow_log() -> None:
    """The ServiceNow log's title (category · subcategory · symptom) built once per combination is the row-by-row
    join of each row's clean texts, blanks and '?' left out; mixed cells (numbers, NaN, padded text) too."""
    from core.importing.cells import clean_text, joined_texts

    def row_by_row(columns: list[pd.Series]) -> list[str | None]:
        return [" · ".join(t for t in map(clean_text, row) if t) or None for row in zip(*columns)]

    log = pd.read_csv(SERVICENOW, dtype=object, keep_default_na=False, na_values=["?"])
    columns = [log[c] for c in ("category", "subcategory", "u_symptom")]
    assert joined_texts(columns).tolist() == row_by_row(columns)
    assert joined_texts(columns).nunique() > 50 and joined_texts(columns).index.equals(log.index)
    mixed = [pd.Series([" a ", 1.0, None, np.nan, "", 2.5] * 50, index=range(7, 307)),
             pd.Series(["x", None, "y", " ", 3, None] * 50, index=range(7, 307))]
    assert joined_texts(mixed).tolist() == row_by_row(mixed) and joined_texts(mixed).index.equals(mixed[0].index)


def test_attribute_texts_built_by_column_are_json_dumps_of_each_rows_dict() -> None:
    """Both ways a row's attributes are built (one header each, repeated headers as lists) store json.dumps text."""
    from core.importing.cells import build_attributes

    rng = np.random.default_rng(3)
    words = np.array(["Follow up", "é ünïcode", 'quote " and \\', "", "  ", None, "12", "n/a"], dtype=object)
    data = pd.DataFrame({h: words[rng.integers(0, len(words), 400)] for h in ("Notes", "Priority", "Résumé")})
    for frame in (data, data.set_axis(["Component/s", "Component/s [2]", "Notes"], axis=1)):
        dicts, texts = build_attributes(frame)
        assert list(texts.index) == list(frame.index)
        assert [None if d is None else json.dumps(d) for d in dicts] == texts.tolist()
        assert dicts.isna().sum() > 0 and dicts.notna().sum() > 0  # rows with no value at all are None, not {}
    names, columns = ["a", "b"], [["x", None, None, 3], [None, None, 2.5, True]]
    assert writes.json_object_texts(names, columns, omit_none=True) == [
        '{"a": "x"}', None, '{"b": 2.5}', '{"a": 3, "b": true}']


def test_an_imports_stored_attributes_read_back_as_the_rows_unmapped_cells(engine, tmp_path) -> None:
    path = tmp_path / "tracker.csv"
    path.write_bytes(csv_bytes([["Ref", "Task", "Colour", "Notes"], ["A-1", "Write", "Teal", ""],
                                ["A-2", "Test", "", "café \"quoted\""], ["A-3", "Ship", "", ""]]))
    import_path(engine, path, user="t")
    t = tables.table("workitem")
    with engine.connect() as conn:  # read through the column's JSON type: the same on SQLite and PostgreSQL
        rows = dict(conn.execute(sa.select(t.c.external_key, t.c.attributes)).all())
    assert rows == {
        "A-1": {"Colour": "Teal"}, "A-2": {"Notes": 'café "quoted"'}, "A-3": None}
    assert import_path(engine, path, user="t").unchanged == 3  # the stored hash is the one a re-import computes


def test_before_images_built_by_sqlite_decode_as_the_frame_path_does(engine) -> None:
    first = import_path(engine, SERVICENOW, user="t")
    batch_id = first.batch_ids[0]
    t = tables.T["workitem"]
    columns = [c.name for c in t.columns if c.name != "id"]  # every type the table has: text, int, float, dates, JSON
    with engine.connect() as conn, conn.begin() as tx:
        ids = [r[0] for r in conn.execute(sa.text("select id from workitem order by id"))]
        assert len(ids) >= 500
        awkward = {ids[0]: 0.1 + 0.2, ids[1]: 1 / 3, ids[2]: 1e300, ids[3]: None}  # 15 digits would lose the first two
        for i, effort in awkward.items():
            conn.execute(t.update().where(t.c.id == i).values(effort=effort))
        built = changelog.changelog_add_stored(conn, batch_id, "workitem", "probe-sql", ids, columns)
        if conn.dialect.name != "sqlite":
            assert built is False
            assert not conn.execute(sa.text("select count(*) from changelog where op = 'probe-sql'")).scalar()
            return
        assert built is True
        stored = tables.rows_by_id(conn, "workitem", ids)
        changelog.changelog_add_frame(conn, batch_id, "workitem", "probe-frame", stored[["id", *columns]])
        log = changelog.changelog_of(conn, batch_id)
        decoded = {op: {int(r): changelog.from_json_safe(b if isinstance(b, dict) else json.loads(b))
                        for r, b in zip(part["row_id"], part["before"])}
                   for op, part in log[log["op"].str.startswith("probe")].groupby("op")}
        assert decoded["probe-sql"] == decoded["probe-frame"]
        assert len(decoded["probe-sql"]) == len(ids)
        assert [decoded["probe-sql"][i]["effort"] for i in awkward] == list(awkward.values())
        assert any(isinstance(im["created_at"], datetime) for im in decoded["probe-sql"].values())
        assert any(im["attributes"] for im in decoded["probe-sql"].values())
        conn.execute(t.update().where(t.c.id == ids[4]).values(effort=float("inf")))
        assert changelog.changelog_add_stored(conn, batch_id, "workitem", "probe-inf", ids, ["effort"]) is False
        assert not conn.execute(sa.text("select count(*) from changelog where op = 'probe-inf'")).scalar()
        tx.rollback()


def test_an_update_of_every_incident_undoes_exactly(engine) -> None:
    rows = read_rows(SERVICENOW, "utf-8")
    header = rows[0]
    owner = header.index("assigned_to")
    import_file(engine, csv_bytes(rows), "servicenow_incidents.csv", user="t")
    snapshot = data_checksums(engine)
    changed = [header] + [[*r[:owner], "Resolver 4242", *r[owner + 1:]] for r in rows[1:]]
    second = import_file(engine, csv_bytes(changed), "servicenow_incidents.csv", user="t")
    assert second.inserted == 0 and second.updated == 890  # one group of ≥ 500 rows: before-images built in SQL
    images = images_of(engine, second.batch_ids[0])
    assert len(images) == 890 and all("owner_id" in im for im in images)
    undo_batch(engine, second.batch_ids[0], "t")
    assert data_checksums(engine) == snapshot
