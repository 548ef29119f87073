"""The sample scenario: regenerates byte for byte, loads through the engine with nothing rejected, tells its story."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from core.sample import SAMPLE_DIR, load_sample, sample_files


def q(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLE_DIR / "generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for committed in sample_files():
        fresh = tmp_path / committed.name
        if committed.suffix == ".csv":
            assert fresh.read_bytes() == committed.read_bytes(), committed.name
        else:
            import openpyxl

            a = [list(ws.values) for ws in openpyxl.load_workbook(committed).worksheets]
            b = [list(ws.values) for ws in openpyxl.load_workbook(fresh).worksheets]
            assert a == b, committed.name
    assert sum(p.stat().st_size for p in sample_files()) < 2 * 1024 * 1024


def test_sample_loads_once_with_nothing_rejected_and_carries_the_story(engine) -> None:
    results = load_sample(engine)
    assert [r.file_name for r in results][:2] == ["strategy.xlsx", "kpi_readings.csv"]
    assert sum(r.rejected for r in results) == 0
    assert load_sample(engine) == []  # not loaded twice
    # the service desk is paid on MTTR while the change process is expected to raise it
    assert q(engine, "select t.name, k.code, e.effect, o.code from incentive i join team t on t.id=i.team_id "
                     "join kpi k on k.id=i.kpi_id join expectedeffect e on e.kpi_id=k.id "
                     "join objective o on o.id=e.objective_id where k.code='K-MTTR'") == [
        ("Service Desk", "K-MTTR", "up", "O2")]
    # migration milestones reported green depend on a blocked data-integrity check
    waiting = q(engine, "select w.external_key from dependency d join workitem w on w.id=d.work_item_id "
                        "join workitem up on up.id=d.depends_on_item_id where up.external_key='MIG-07' "
                        "and up.status='blocked' and w.reported_rag='green' order by 1")
    assert [r[0] for r in waiting] == ["MIG-08", "MIG-09", "MIG-10"]
    # the campaign floods the desk with account inquiries that no objective covers
    import json

    rows = q(engine, "select attributes from workitem where source='service_desk_tickets' and objective_id is null")
    categories = [(a if isinstance(a, dict) else json.loads(a)).get("category") for (a,) in rows]
    assert categories.count("Account inquiry") > 150 and set(categories) == {"Account inquiry"}
    # ... while the sample's alignment rules, in place before the trackers arrive, link the campaign's own tasks
    assert q(engine, "select o.code, count(*) from workitem w join objective o on o.id=w.objective_id "
                     "where source='marketing_campaign_tasks' group by 1") == [("O5", 25)]
    # owner name variants differing only by case and spacing are one person
    assert q(engine, "select count(*) from person where name_key='priya shah'") == [(1,)]
