"""map: suggestions with confidence, kind detection, profiles and value maps."""
from __future__ import annotations

import pytest

from core.importing.mapping import build_mapping, detect_kind, suggest_fields
from core.importing.vocabulary import canonical_rag, canonical_status
from core.store.values import normalize_header


def test_tracker_headers_suggest_fields_with_confidence() -> None:
    headers = ["Milestone ID", "Milestone", "Owner", "Team", "Status", "RAG", "Start", "Due", "Completed",
               "Depends on", "Objective", "Budget code"]
    sugg = suggest_fields(headers, "work_items")
    assert {h: s.field for h, s in sugg.items()} == {
        "Milestone ID": "external_key", "Milestone": "title", "Owner": "owner", "Team": "team", "Status": "status",
        "RAG": "reported_rag", "Start": "started_at", "Due": "due_at", "Completed": "done_at",
        "Depends on": "depends_on", "Objective": "objective", "Budget code": None}
    assert sugg["Status"].confidence == 100.0


def test_fuzzy_headers_match_with_lower_confidence() -> None:
    sugg = suggest_fields(["Task Owner Name", "Due Dt", "Current Status"], "work_items")
    assert sugg["Due Dt"].field == "due_at" and sugg["Due Dt"].confidence < 100
    assert sugg["Current Status"].field == "status"


@pytest.mark.parametrize("headers,sheet,kind", [
    (["Name", "Email", "Team", "Role"], "People", "people"),
    (["Code", "Objective", "Description", "Parent", "Owner", "Period", "Weight"], "Objectives", "objectives"),
    (["Code", "KPI", "Unit", "Direction", "Baseline", "Target", "Tolerance", "Owner", "Objective"], "KPIs", "kpis"),
    (["Team", "KPI", "Weight"], "Incentives", "incentives"),
    (["Objective", "KPI", "Effect", "Note"], "Expected effects", "expected_effects"),
    (["KPI", "Week", "Value"], None, "kpi_readings"),
    (["Ref", "Task", "Owner", "Status", "Due", "RAG", "Notes", "Objective"], "Tracker", "work_items"),
])
def test_kind_is_detected_from_headers(headers: list[str], sheet: str | None, kind: str) -> None:
    assert detect_kind(headers, sheet)[0] == kind


def test_servicenow_profile_is_recognised() -> None:
    headers = ["number", "incident_state", "active", "opened_at", "sys_updated_at", "assignment_group",
               "assigned_to", "category", "resolved_at"]
    m = build_mapping(headers)
    assert m.profile_name == "ServiceNow incident export" and m.kind == "work_items"
    assert m.fields["status"] == "incident_state" and m.options["event_log"] is True


def test_jira_profile_is_recognised_with_repeated_headers() -> None:
    headers = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Assignee", "Created", "Updated",
               "Component/s", "Component/s [2]"]
    m = build_mapping(headers)
    assert m.profile_name == "Jira CSV export"
    assert m.fields["external_key"] == "Issue key" and m.fields["title"] == "Summary"
    assert "Component/s" not in m.fields.values()


def test_saved_profile_wins_over_suggestions() -> None:
    from core.importing.mapping import Profile

    p = Profile("Desk tracker", "work_items", ("Ref", "What"), {"external_key": "Ref", "title": "What"},
                {"status": {"parked": "blocked"}})
    m = build_mapping(["Ref", "What", "State"], profiles=[p])
    assert m.profile_name == "Desk tracker" and m.fields == {"external_key": "Ref", "title": "What"}
    assert m.value_maps["status"]["parked"] == "blocked"


def test_overrides_replace_suggestions() -> None:
    m = build_mapping(["Ref", "Task", "Lead"], kind="work_items", overrides={"owner": "Lead"})
    assert m.fields["owner"] == "Lead"


def test_headers_normalised_from_multiline_government_headers() -> None:
    assert normalize_header("Project - Start Date \n(Latest Approved Start Date)") == "project start date"
    assert normalize_header("date_valeur_initiale") == "date valeur initiale"


@pytest.mark.parametrize("raw,status", [("Done", "done"), ("in prog", "in_progress"), ("WIP", "in_progress"),
                                        ("On hold", "blocked"), ("Awaiting User Info", "blocked"),
                                        ("Not started", "todo"), ("tbc", "todo"), ("Closed", "done"),
                                        ("Resolved", "done"), ("Frobnicated", None)])
def test_status_value_map(raw: str, status: str | None) -> None:
    assert canonical_status(raw) == status


def test_status_value_map_overrides() -> None:
    assert canonical_status("Frobnicated", {"frobnicated": "done"}) == "done"


@pytest.mark.parametrize("raw,rag,note", [("G", "green", None), ("On track", "green", None), ("At risk", "amber", None),
                                          ("Red", "red", None), ("NA", None, None),
                                          ("Exempt under Section 26 of the FOI Act", None,
                                           "Exempt under Section 26 of the FOI Act")])
def test_rag_value_map(raw: str, rag: str | None, note: str | None) -> None:
    assert canonical_rag(raw) == (rag, note)
