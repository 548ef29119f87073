"""An older export re-imported after a newer one never reverts what the newer one set.

A row says when it was last updated; when that is older than what the database holds for the item, the
row is kept back (the preview and the result say so, with file, sheet, row and column) instead of
overwriting newer data.
"""
from __future__ import annotations

import sqlalchemy as sa

from core.importing.service import ImportOptions, import_file
from core.store import tables
from tests.conftest import SERVICENOW, csv_bytes

HEADER = ["Key", "Title", "Status", "Owner", "Updated"]


def _statuses(engine) -> dict[str, str]:
    w = tables.T["workitem"]
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(w.c.external_key, w.c.raw_status)).all())


def test_an_older_export_does_not_revert_a_newer_status(engine) -> None:
    newer = csv_bytes([HEADER, ["T-1", "Fix login", "In progress", "Ada Lovelace", "2024-03-05 10:00"],
                       ["T-2", "Ship docs", "Done", "Ada Lovelace", "2024-03-05 10:00"]])
    older = csv_bytes([HEADER, ["T-1", "Fix login", "To do", "Ada Lovelace", "2024-03-01 09:00"],
                       ["T-2", "Ship docs (final)", "Done", "Ada Lovelace", "2024-03-06 08:00"]])
    import_file(engine, newer, "tracker.csv", ImportOptions(source="team"))
    preview = import_file(engine, older, "tracker_old.csv", ImportOptions(source="team"), dry_run=True)
    warnings = [i for i in preview.issues if "older row was not applied" in i.message]
    assert [(w.row, w.column, w.value) for w in warnings] == [(2, "Updated", "T-1")]
    assert "updated 2024-03-01 09:00" in warnings[0].message and "2024-03-05 10:00" in warnings[0].message
    result = import_file(engine, older, "tracker_old.csv", ImportOptions(source="team"))
    assert (result.total("updated"), result.total("unchanged")) == (1, 1)  # T-2 is newer and applies; T-1 is kept
    assert _statuses(engine) == {"T-1": "In progress", "T-2": "Done"}
    w = tables.T["workitem"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(w.c.title).where(w.c.external_key == "T-2")).scalar_one() == "Ship docs (final)"


def test_rows_without_an_updated_time_still_apply(engine) -> None:
    header = ["Key", "Title", "Status"]
    import_file(engine, csv_bytes([header, ["T-1", "Fix login", "In progress"]]), "a.csv", ImportOptions(source="s"))
    import_file(engine, csv_bytes([header, ["T-1", "Fix login", "Done"]]), "b.csv", ImportOptions(source="s"))
    assert _statuses(engine) == {"T-1": "Done"}


def test_the_real_event_log_reimported_after_a_later_cut_keeps_the_later_states(engine) -> None:
    """The ServiceNow log cut at an earlier event, imported after the whole log: every incident keeps the
    state of its latest event, and each row held back is named."""
    lines = SERVICENOW.read_bytes().splitlines(keepends=True)
    whole = import_file(engine, SERVICENOW.read_bytes(), SERVICENOW.name)
    assert whole.total("inserted") > 0
    before = _statuses(engine)
    early = b"".join(lines[: len(lines) // 2])  # the first half of the events: older states of fewer incidents
    again = import_file(engine, early, SERVICENOW.name)
    held_back = [i for i in again.issues if "older row was not applied" in i.message]
    assert held_back, "the first half of the log holds older states of incidents the whole log moved on"
    assert _statuses(engine) == before
