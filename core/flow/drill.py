"""The rows behind what a user picks on the Bottlenecks view: a chart's points, bars or flow bands.

Each chart carries a value per point (core.reporting.charts: an item id, a team, a week, "week|status");
these functions turn the picked values back into the rows of flow_report's frames, with the file and
row each came from. Pure: DataFrame in, DataFrame out, inputs never mutated.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.flow.analytics import items_in_status_at

END_OF_DAY = pd.Timedelta(hours=23, minutes=59, seconds=59)


def picked(rows: pd.DataFrame, column: str, values: Sequence[object]) -> pd.DataFrame:
    """The rows whose ``column`` holds one of the picked values."""
    return rows[rows[column].isin(values)]


def labelled(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """A copy with the blanks of ``column`` named as the load and overdue charts name them ("(no team)")."""
    return rows.assign(**{column: rows[column].fillna(f"(no {column})")})


def work_in_progress(timeline: pd.DataFrame, by: str) -> pd.DataFrame:
    """The items in progress, ``by`` (owner or team) labelled as the load chart's bars are."""
    return labelled(timeline[timeline["is_wip"]], by)


def band_items(timeline: pd.DataFrame, events: pd.DataFrame, band: str) -> tuple[str, str, pd.DataFrame]:
    """A cumulative-flow band ("2026-03-01|in_progress"): its week, its status, and the items in that status at
    the end of that week's last day."""
    week, status = str(band).split("|")
    ids = items_in_status_at(events, pd.Timestamp(week) + END_OF_DAY, status)
    return week, status, timeline[timeline["id"].isin(ids)]


def finished_in_weeks(finished: pd.DataFrame, weeks: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """The items finished in the picked throughput weeks (weeks end on Sunday, as the chart counts them)."""
    week_of = finished["finish"].dt.to_period("W-SUN").dt.end_time.dt.normalize()
    return finished[week_of.isin(weeks)]


def past_p85(aging: pd.DataFrame) -> pd.DataFrame:
    """The open items older than the 85th percentile of past cycle times, their age to a tenth of a day."""
    return aging[aging["beyond_p85"]].round({"age_days": 1})
