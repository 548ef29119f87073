"""Date columns: one order per column, ambiguity reported, Excel serials, the 1900 leap-year edge."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from core.importing.dates import parse_date_column, parse_number_column


def col(values: list[object], order: str | None = None):
    return parse_date_column(pd.Series(values, dtype=object), order)


def test_day_first_column_decided_by_one_value() -> None:
    c = col(["03/04/2024", "25/12/2024", "01/02/2025"])
    assert c.order == "dmy" and not c.ambiguous
    assert list(c.values) == [pd.Timestamp(2024, 4, 3), pd.Timestamp(2024, 12, 25), pd.Timestamp(2025, 2, 1)]


def test_month_first_column_decided_by_one_value() -> None:
    c = col(["03/04/2024", "12/25/2024"])
    assert c.order == "mdy"
    assert c.values[0] == pd.Timestamp(2024, 3, 4)


def test_ambiguous_column_is_reported_not_guessed() -> None:
    c = col(["03/04/2024", "05/06/2024"])
    assert c.ambiguous and c.values.isna().all() and not c.bad.any()
    chosen = col(["03/04/2024", "05/06/2024"], order="mdy")
    assert chosen.values[0] == pd.Timestamp(2024, 3, 4)


def test_servicenow_day_first_with_time() -> None:
    c = col(["29-02-2016 01:16", "05-03-2016 12:00"])
    assert c.values[0] == pd.Timestamp(2016, 2, 29, 1, 16)


def test_jira_named_month_dates() -> None:
    c = col(["30/Jul/18 23:33", "1/Aug/18 9:05 AM"])
    assert list(c.values) == [pd.Timestamp(2018, 7, 30, 23, 33), pd.Timestamp(2018, 8, 1, 9, 5)]


def test_excel_serials_and_the_1900_leap_year_bug() -> None:
    c = col([45123, 61, 59, 1, 60])
    assert c.values[0] == pd.Timestamp(2023, 7, 16)
    assert c.values[1] == pd.Timestamp(1900, 3, 1)
    assert c.values[2] == pd.Timestamp(1900, 2, 28)
    assert c.values[3] == pd.Timestamp(1900, 1, 1)
    assert bool(c.bad[4]) and "29 February 1900" in c.reasons[4]


def test_native_cells_iso_text_and_impossible_dates() -> None:
    c = col([datetime(2024, 1, 2, 9, 30), "2024-01-05", "2024-02-30", "31/02/2024"])
    assert c.values[0] == pd.Timestamp(2024, 1, 2, 9, 30) and c.values[1] == pd.Timestamp(2024, 1, 5)
    assert list(c.bad) == [False, False, True, True]


def test_prose_in_a_date_column_is_kept_as_a_note() -> None:
    c = col(["2024-01-05", "Exempt under Section 26 of the Act"])
    assert not c.bad.any() and c.notes == {1: "Exempt under Section 26 of the Act"}


@pytest.mark.parametrize("raw,expected", [("£33.73", 33.73), ("0%", 0.0), ("1,234.5", 1234.5), ("(12)", -12.0),
                                          ("12,5", 12.5), (7, 7.0), ("  3 ", 3.0)])
def test_numbers_in_the_shapes_spreadsheets_use(raw: object, expected: float) -> None:
    values, bad, prose = parse_number_column(pd.Series([raw], dtype=object))
    assert values[0] == pytest.approx(expected) and not bad[0] and not prose[0]


def test_bad_number_rejected_and_prose_kept_apart() -> None:
    values, bad, prose = parse_number_column(pd.Series(["x1", "not yet costed by finance", None], dtype=object))
    assert list(bad) == [True, False, False] and list(prose) == [False, True, False]
