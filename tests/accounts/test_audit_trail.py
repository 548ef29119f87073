"""The audit trail's queries: picked days as a half-open interval (the last day whole), before/after as text,
and the mark that moves with every entry, data-changing or not."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from core.accounts import auth
from core.accounts import queries as account_queries
from core.store import tables


def test_picked_days_cover_the_whole_last_day() -> None:
    assert account_queries.day_bounds(date(2026, 3, 1), date(2026, 3, 31)) == (datetime(2026, 3, 1),
                                                                               datetime(2026, 4, 1))
    assert account_queries.day_bounds(None, None) == (None, None)


def test_before_and_after_read_as_text_and_blank_when_absent() -> None:
    trail = pd.DataFrame({"before": [None, {"owner_id": None}], "after": [{"active": True}, None]})
    shown = account_queries.audit_as_text(trail)
    assert shown["before"].tolist() == ["", "Owner id: –"] and shown["after"].tolist() == ["Active: yes", ""]
    assert trail["before"].iloc[0] is None  # the input is not changed


def test_entries_of_the_last_day_are_in_and_the_mark_moves_with_a_sign_out(engine) -> None:
    assert account_queries.newest_audit_id(engine) == 0
    auth.add_user(engine, "ada", "a long passphrase", "admin", None)
    first = account_queries.newest_audit_id(engine)
    auth.record_logout(engine, auth.Viewer("ada", "admin"))
    assert account_queries.newest_audit_id(engine) > first
    a = tables.T["auditevent"]
    with engine.begin() as conn:
        conn.execute(sa.update(a).values(at=datetime(2026, 3, 31, 23, 59)))
    start, end = account_queries.day_bounds(date(2026, 3, 31), date(2026, 3, 31))
    assert len(account_queries.audit_frame(engine, start=start, end=end)) == 2
    start, end = account_queries.day_bounds(date(2026, 4, 1), date(2026, 4, 2))
    assert account_queries.audit_frame(engine, start=start, end=end).empty
