"""KPI truth on the sample scenario: the story's conflicts, gaps and signals are found."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.flow.report import flow_report
from core.flow import queries as flow_queries
from core.importing.commit import undo_batch
from core.importing.service import import_path
from core.kpis import analytics as kpis
from core.kpis import health
from core.kpis import queries as kpi_queries
from core.kpis.signals import set_state
from core.sample import SAMPLE_DIR, load_sample
from core.strategy import queries as strategy_queries


@pytest.fixture
def loaded(engine):
    load_sample(engine)
    frames = {"kpis": kpi_queries.kpis_frame(engine), "readings": kpi_queries.readings_frame(engine),
              "incentives": kpi_queries.incentives_frame(engine), "effects": kpi_queries.effects_frame(engine),
              "objectives": strategy_queries.objectives_frame(engine)}
    return engine, kpis.kpi_report(**frames)


def test_conflicts_of_the_story_are_found_and_explained(loaded) -> None:
    _engine, report = loaded
    c = report["conflicts"]
    declared = c[c["kind"] == "declared"]
    mttr = declared[declared["kpi_a"] == "K-MTTR"].iloc[0]
    assert mttr["teams"] == "Service Desk" and "documentation steps" in mttr["sentence"]
    observed = c[c["kind"] == "observed"]
    speed = observed[(observed["kpi_a"] == "K-VOL") & (observed["kpi_b"] == "K-LEAD")].iloc[0]
    assert "IT Operations" in speed["sentence"] and "over 51 periods" in speed["sentence"]
    assert report["matrix"].loc["K-VOL", "K-LEAD"] < -0.5


def test_migration_reported_green_while_measured_red(loaded) -> None:
    engine, report = loaded
    items, events, deps = flow_queries.work_items_frame(engine), flow_queries.status_events_frame(engine), flow_queries.dependencies_frame(
        engine)
    gaps = health.reality_report(report, flow_report(items, events, deps))
    listed = gaps.set_index("key")
    assert listed.loc["O3", "reported"] == "green" and "K-MIG is red" in listed.loc["O3", "causes"]
    for key in ("MIG-08", "MIG-09", "MIG-10"):
        assert listed.loc[key, "reported"] == "green" and "overdue" in listed.loc[key, "causes"]
        assert listed.loc[key, "owner"] in ("Olivia Brown", "Ethan Clarke", "Mia Rossi")
    assert gaps["gap_days"].is_monotonic_decreasing


def test_signals_are_raised_once_with_owners_and_follow_undo(loaded, tmp_path) -> None:
    engine, _report = loaded
    signals = kpi_queries.signals_frame(engine)
    assert len(signals) > 10 and set(signals["state"]) == {"open"}
    mig = signals[signals["kpi"] == "K-MIG"]
    assert len(mig) >= 1 and set(mig["owner"]) == {"Tom Becker"} and mig["protocol"].notna().all()
    again = import_path(engine, SAMPLE_DIR / "kpi_readings.csv", user="t")
    assert again.unchanged == 514 and len(kpi_queries.signals_frame(engine)) == len(signals)
    # a new reading far outside the limits raises exactly one new signal, and its undo removes it
    new = tmp_path / "fcr_drop.csv"
    new.write_text("KPI,Week,Value\nK-FCR,2026-11-16,5\n")  # far below its lower limit
    spike = import_path(engine, new, user="t")
    assert spike.sheets[0].details["signals"] == {"new": 1}
    undo_batch(engine, spike.batch_ids[0], "t")
    assert len(kpi_queries.signals_frame(engine)) == len(signals)


def test_signal_states_move_forward_with_log_and_audit(loaded) -> None:
    engine, _report = loaded
    sid = int(kpi_queries.signals_frame(engine)["id"].iloc[0])
    set_state(engine, sid, "acknowledged", "marcus", "looking into it")
    done = set_state(engine, sid, "resolved", "marcus", "fixed the rota")
    assert done["state"] == "resolved" and [e["to"] for e in done["log"]] == ["acknowledged", "resolved"]
    with pytest.raises(Exception, match="cannot become"):
        set_state(engine, sid, "acknowledged", "marcus")
    with engine.connect() as conn:
        audit = conn.execute(sa.text('select action, "user" from auditevent where entity=\'signal\' order by id')).all()
    assert audit == [("signal.acknowledged", "marcus"), ("signal.resolved", "marcus")]
