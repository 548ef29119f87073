"""Every real export in ../shared/realdata imported at default settings with no mapping given.

Per file: the number of items (issues, tickets, risks, projects, cases, KPIs; never event rows, never totals
rows), the rejected rows (zero, or exactly those the file itself breaks), and spot values of key, title,
status, owner, team and a date on three rows, written here as they stand in the raw file. A new file added
to realdata needs a new entry in CORPUS, not new code: the test over the folder fails until it has one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.importing.service import import_file
from tests.conftest import REALDATA

SPOT_SQL = """
select w.external_key, w.title, w.raw_status, w.status, p.name as owner, t.name as team, w.created_at, w.updated_at,
       w.due_at, w.done_at
from workitem w left join person p on p.id = w.owner_id left join team t on t.id = w.team_id
where w.external_key = :key
"""


@dataclass(frozen=True)
class Expect:
    items: int  # work items, or KPIs for an indicator file
    rejected: int = 0
    rows_read: int | None = None  # event logs: every event row
    status_events: int | None = None
    spots: dict[str, dict[str, str | None]] = field(default_factory=dict)  # key -> field -> value as in the file
    kpis: dict[str, dict[str, str | float | None]] = field(default_factory=dict)
    refused: str | None = None  # a file the importer must refuse, with this in the message


CORPUS: dict[str, Expect] = {
    "ado_assigned_to_me.csv": Expect(142, spots={
        "2019112": {"title": "HMD Admin Product Parts - PI25B - DAY1", "raw_status": "Closed", "status": "done",
                    "team": "DSBS\\DiagData\\CV CUR - Atom Team"},
        "2017591": {"title": "GXM_27669", "raw_status": "Active", "status": "in_progress", "team": "DSBS"},
        "2017463": {"title": "UAT TT 2.8.330 B3", "raw_status": "New", "status": "todo"}}),
    "au_major_projects.csv": Expect(30, spots={
        "Ammaroo Phosphate Project": {"title": "Ammaroo Phosphate Project"},
        "Australia-Asia Power Link (AAPowerLink)": {"title": "Australia-Asia Power Link (AAPowerLink)"},
        "Australian Renewable Energy Hub (AREH)": {"title": "Australian Renewable Energy Hub (AREH)"}}),
    "eventlog_helpdesk.csv": Expect(4580, rows_read=21348, spots={
        "Case3608": {"raw_status": "Closed", "status": "done", "owner": "Value 5",
                     "updated_at": "2010-02-13 08:52"},
        "Case2748": {"raw_status": "Closed", "status": "done", "updated_at": "2010-02-13 12:00"},
        "Case4284": {"raw_status": "Closed", "status": "done", "owner": "Value 16"}}),
    "fr_barometre_kpis_national.csv": Expect(57, rejected=1, kpis={
        "tx-classes-cp-ce1-rep": {"name": "Part des classes de CP et CE1 en éducation prioritaire dédoublées",
                                  "unit": "% des classes", "baseline": 95.0, "target": 100.0},
        "tx-gs-rep": {"unit": "% des classes", "baseline": 4.0, "target": 74.0},
        "tx-classes-cp-ce1": {"unit": "% des classes", "baseline": 69.0, "target": 100.0}}),
    "jira_cloud_cs4483_allfields.csv": Expect(68, spots={
        "CS4483-67": {"title": "Deliverable 1 — Theme Decision & Narrative Direction", "raw_status": "Done",
                      "status": "done", "owner": "Bella"},
        "CS4483-68": {"raw_status": "Done", "owner": "Bella", "created_at": "2026-02-15 16:37"},
        "CS4483-66": {"raw_status": "Done", "created_at": "2026-02-15 16:36"}}),
    "jira_cloud_en_planeso.csv": Expect(22, spots={
        "TES-25": {"title": "Enable Selinium scripts to also test Pega apps/iframes/etc", "raw_status": "To Do",
                   "status": "todo", "owner": None, "created_at": "2025-09-22 09:26"},
        "TES-24": {"title": "Bug Fixing: problem in production", "raw_status": "In Progress",
                   "status": "in_progress", "owner": "Saicharan Basireddy", "created_at": "2025-09-22 09:09"},
        "TES-23": {"raw_status": "To Do", "created_at": "2025-09-19 09:22"}}),
    "jira_sd_lupapiste_latin1.csv": Expect(768, spots={
        "LP-1": {"title": "Microsoft Outlook Test Message"},
        "LP-2": {"title": "Microsoft Outlook Test Message", "updated_at": "2013-10-02 10:25"},
        "LP-3": {"updated_at": "2013-10-02 10:54"}}),
    "jira_server_de_html.xls": Expect(51, spots={
        "MF-53": {"title": "Übungen aus Datenbank auslesen", "raw_status": "Aufgaben", "status": "todo",
                  "owner": None, "created_at": "2016-11-30 10:02", "updated_at": "2016-12-01 10:28"},
        "MF-52": {"title": "Homework Gant-Charts", "created_at": "2016-11-30 10:01"},
        "MF-51": {"title": "Trainingsplan nach Bearbeiten abspeichern", "updated_at": "2016-12-01 10:35"}}),
    "redmine_ru_cp1251.csv": Expect(10, spots={
        "22515": {"raw_status": "Новая", "status": "todo", "owner": "Akulova Anastasiia",
                  "updated_at": "2024-03-12 14:31"},
        "22514": {"raw_status": "Новая", "updated_at": "2024-03-12 14:25"},
        "22512": {"owner": "Akulova Anastasiia", "updated_at": "2024-03-12 14:02"}}),
    "servicenow_incident_event_log_sample.csv": Expect(890, rows_read=5998, status_events=3418, spots={
        "INC0000045": {"raw_status": "Closed", "status": "done", "team": "Group 56",
                       "created_at": "2016-02-29 01:16"},
        "INC0000047": {"raw_status": "Closed", "owner": "Resolver 89", "team": "Group 24",
                       "updated_at": "2016-03-06 10:00"},
        "INC0000057": {"raw_status": "Closed", "owner": "Resolver 6", "team": "Group 70"}}),
    "snow_change_request.xlsx": Expect(11, spots={
        "CHG0030042": {"title": "Development  |Linux Patching", "raw_status": "New", "status": "todo",
                       "owner": "Luke Wilson", "team": "CAB Approval", "created_at": "2019-03-18 11:41"},
        "CHG0030041": {"created_at": "2019-03-18 11:41", "owner": "Luke Wilson"},
        "CHG0030032": {"raw_status": "New", "team": "CAB Approval"}}),
    "uk_gmpp_projects_2022.csv": Expect(235, spots={
        "MOJ_0050_2021-Q1": {"title": "10,000 Additional Prison Places", "team": "MOJ"},
        "MOJ_0050_2122-Q3": {"title": "Evolve Network Services", "team": "MOJ"},
        "MOD_0135_2122-Q1": {"title": "Submarine Dismantling Project", "team": "MOD", "due_at": "2026-12-31 00:00"}}),
    "risk_register_xyz.xlsx": Expect(5, spots={
        "1": {"owner": "Tom Brown"}, "2": {"owner": "Peter Watson"}, "3": {"owner": "Ben Man"}}),
    "mantis_ru_cp1251.csv": Expect(7, rejected=3, spots={
        "0001831": {"raw_status": "новая", "status": "todo", "created_at": "2024-03-07 00:00"},
        "0001830": {"raw_status": "новая"}, "0001829": {"raw_status": "новая"}}),
}


def _files() -> list[str]:
    return sorted(p.name for p in REALDATA.iterdir() if p.is_file() and p.name != "README.md") if REALDATA.is_dir() \
        else []


def test_every_real_file_has_an_expected_entry() -> None:
    assert _files(), f"no real exports found at {REALDATA}"
    missing = [name for name in _files() if name not in CORPUS]
    assert not missing, f"add an Expect entry to CORPUS for: {', '.join(missing)}"


def _shown(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:16] if len(text) >= 16 and text[4] == "-" and text[10] == " " else text


@pytest.mark.parametrize("name", _files())
def test_real_export_imports_right_at_defaults(engine: sa.Engine, name: str) -> None:
    expect = CORPUS[name]
    path: Path = REALDATA / name
    result = import_file(engine, path.read_bytes(), name, user="corpus")
    assert result.committed
    with engine.connect() as conn:
        if expect.kpis:
            assert conn.execute(sa.text("select count(*) from kpi")).scalar() == expect.items
            for code, values in expect.kpis.items():
                row = conn.execute(sa.text("select name, unit, baseline, target from kpi where code = :c"),
                                   {"c": code}).mappings().one()
                for key, value in values.items():
                    assert row[key] == value, (name, code, key)
        else:
            assert conn.execute(sa.text("select count(*) from workitem")).scalar() == expect.items
            for key, values in expect.spots.items():
                row = conn.execute(sa.text(SPOT_SQL), {"key": key}).mappings().one()
                for column, value in values.items():
                    assert _shown(row[column]) == value, (name, key, column, row[column])
    assert result.rejected == expect.rejected, [i.message for i in result.issues if i.severity == "error"][:5]
    if expect.rows_read is not None:
        assert result.rows_read == expect.rows_read
    if expect.status_events is not None:
        assert result.status_events == expect.status_events
    again = import_file(engine, path.read_bytes(), name, user="corpus")
    assert again.inserted == 0 and again.updated == 0  # the same file again changes nothing
