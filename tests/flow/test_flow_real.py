"""Flow metrics on real and sample data, checked against independent computations."""
from __future__ import annotations

import pandas as pd
import pytest

from core.flow import analytics as flow
from core.flow.report import flow_report
from core.flow import queries as flow_queries
from core.importing.service import import_path
from core.sample import load_sample
from tests.conftest import SERVICENOW


def frames(engine):
    return flow_queries.work_items_frame(engine), flow_queries.status_events_frame(engine), flow_queries.dependencies_frame(engine)


def test_servicenow_resolution_time_per_group_matches_pandas_on_the_raw_csv(engine) -> None:
    import_path(engine, SERVICENOW, user="t")
    items, events, deps = frames(engine)
    ours = flow.lead_time_by_team(flow.timeline(items, events)).set_index("team")

    raw = pd.read_csv(SERVICENOW, na_values=["?"], keep_default_na=False)
    for c in ("opened_at", "sys_updated_at", "resolved_at"):
        raw[c] = pd.to_datetime(raw[c], format="%d-%m-%Y %H:%M")
    raw = raw.reset_index().sort_values(["number", "sys_updated_at", "index"], kind="stable")
    latest = raw.groupby("number").tail(1).set_index("number")
    done = latest[latest["incident_state"].isin(["Resolved", "Closed"])].copy()
    # an incident done with no resolved_at is done when it last entered Resolved/Closed
    is_done_state = raw["incident_state"].isin(["Resolved", "Closed"])
    entered = raw[is_done_state & ~is_done_state.groupby(raw["number"]).shift(fill_value=False)]
    done["finish"] = done["resolved_at"].fillna(entered.groupby("number")["sys_updated_at"].max())
    hours = (done["finish"] - done["opened_at"]).dt.total_seconds() / 3600
    expected = hours.groupby(done["assignment_group"].fillna("(no team)")).agg(["size", "median", lambda s: s.quantile(0.85)])
    expected.columns = ["items", "median_hours", "p85_hours"]

    assert ours["items"].sum() == len(done) > 700
    joined = ours.join(expected, rsuffix="_pandas", how="outer")
    assert (joined["items"] == joined["items_pandas"]).all()
    assert (joined["median_hours"] * 60).round().equals((joined["median_hours_pandas"] * 60).round())
    assert (joined["p85_hours"] * 60).round().equals((joined["p85_hours_pandas"] * 60).round())


@pytest.fixture
def sample(engine):
    load_sample(engine)
    return frames(engine)


def test_sample_blocked_data_check_is_the_top_cross_team_wait(sample) -> None:
    items, events, deps = sample
    report = flow_report(items, events, deps)
    top = report["team_waits"].iloc[0]
    assert (top["waited_on_team"], top["items_waiting"], top["waiting_teams"]) == ("Data Platform", 3, "Infrastructure")
    assert report["chain"][0] == "MIG-07"
    waiting_on_mig07 = report["waits"][report["waits"]["up_external_key"] == "MIG-07"]
    assert sorted(waiting_on_mig07["down_external_key"]) == ["MIG-08", "MIG-09", "MIG-10"]
    assert waiting_on_mig07["upstream_overdue"].all()


def test_sample_service_desk_wip_grows_after_the_campaign(sample) -> None:
    items, events, deps = sample
    desk = items[(items["team"] == "Service Desk") & (items["source"] == "service_desk_tickets")]
    cfd = flow.cumulative_flow(events[events["work_item_id"].isin(desk["id"])])
    wip = cfd["in_progress"] + cfd["blocked"]
    before = wip["2026-06-15":"2026-08-16"].mean()
    after = wip["2026-08-17":"2026-11-08"].mean()
    assert after > 2 * before > 0
