"""The catalogue of target kinds and their fields, with the header synonyms that suggest them.

Synonyms are plain data (several languages, the words trackers really use);
the matching itself is done by rapidfuzz in mapping.py.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str  # text | key | date | number | status | rag | person | team | objective | kpi | direction | effect
    synonyms: tuple[str, ...] = ()
    required: bool = False


def F(name: str, label: str, type_: str, *synonyms: str, required: bool = False) -> FieldSpec:  # noqa: N802
    return FieldSpec(name, label, type_, tuple(synonyms), required)


KINDS: dict[str, tuple[FieldSpec, ...]] = {
    "work_items": (
        F("external_key", "Key", "key", "key", "id", "ref", "reference", "number", "issue key", "ticket",
          "ticket id", "task id", "milestone id", "item id", "id number", "project id", "incident", "no", "#",
          "job id", "job number", "work order"),
        F("title", "Title", "text", "title", "summary", "name", "task", "milestone", "project name", "subject",
          "short description", "item", "task name", "deliverable", "activity", "action", "job", "work item",
          "item name", "description of work"),
        F("item_type", "Type", "text", "type", "issue type", "item type", "work type", "kind"),
        F("status", "Status", "status", "status", "state", "incident state", "progress", "stage", "statut"),
        F("reported_rag", "Reported RAG", "rag", "rag", "rag status", "reported rag", "health", "sro delivery confidence "
          "assessment", "status rag", "delivery confidence", "overall rag"),
        F("assessed_rag", "Assessed RAG", "rag", "assessed rag", "independent rag", "ipa delivery confidence "
          "assessment", "assurance rag", "independent assessment"),
        F("owner", "Owner", "person", "owner", "assignee", "assigned to", "responsible", "accountable", "lead",
          "task owner", "action owner", "sro", "who"),
        F("team", "Team", "team", "team", "department", "group", "assignment group", "squad", "business unit",
          "workstream", "directorate"),
        F("objective", "Objective", "objective", "objective", "goal", "strategic objective", "okr", "objective code",
          "strategic goal", "outcome"),
        F("created_at", "Created", "date", "created", "created date", "opened", "opened at", "raised", "date raised",
          "logged", "created on", "date created"),
        F("started_at", "Started", "date", "start", "start date", "started", "project start date", "begin",
          "planned start", "start dt"),
        F("due_at", "Due", "date", "due", "due date", "deadline", "end date", "target date", "project end date",
          "finish", "planned end", "planned finish", "date due"),
        F("done_at", "Done", "date", "completed", "completion date", "done date", "resolved", "resolved at",
          "date completed", "actual finish", "closed date", "finished"),
        F("updated_at", "Updated", "date", "updated", "last updated", "modified", "sys updated at", "last modified",
          "updated at", "date updated"),
        F("effort", "Effort", "number", "effort", "estimate", "story points", "points", "effort days",
          "effort hours", "work", "original estimate"),
        F("depends_on", "Depends on", "text", "depends on", "dependencies", "dependency", "blocked by",
          "predecessors", "waiting on", "depends"),
        F("priority", "Priority", "text", "priority", "prio"),
        F("description", "Description", "text", "description", "description aims", "details"),
    ),
    "objectives": (
        F("code", "Code", "key", "code", "objective code", "id", "ref", "objective id"),
        F("title", "Objective", "text", "objective", "title", "name", "goal", "objective name", required=True),
        F("description", "Description", "text", "description", "details", "rationale"),
        F("parent", "Parent", "text", "parent", "parent code", "pillar", "parent objective"),
        F("owner", "Owner", "person", "owner", "accountable owner", "accountable", "lead", "sponsor"),
        F("period", "Period", "text", "period", "year", "horizon", "timeframe", "quarter"),
        F("weight", "Weight", "number", "weight", "weighting", "priority weight"),
        F("reported_rag", "Reported RAG", "rag", "rag", "reported rag", "status rag", "reported status", "health",
          "confidence"),
    ),
    "kpis": (
        F("code", "Code", "key", "code", "kpi code", "id", "metric id", "indicator id"),
        F("name", "KPI", "text", "kpi", "name", "metric", "indicator", "measure", "kpi name", required=True),
        F("unit", "Unit", "text", "unit", "units", "uom"),
        F("direction", "Direction", "direction", "direction", "polarity", "better", "good direction"),
        F("baseline", "Baseline", "number", "baseline", "baseline value", "start value"),
        F("target", "Target", "number", "target", "target value", "goal value"),
        F("tolerance", "Tolerance", "number", "tolerance", "tolerance band", "threshold", "amber band"),
        F("owner", "Owner", "person", "owner", "kpi owner", "accountable"),
        F("objective", "Objective", "objective", "objective", "objective code", "goal"),
        F("protocol", "Intervention protocol", "text", "protocol", "intervention", "intervention protocol",
          "what to do", "action plan", "response"),
        F("baseline_periods", "Baseline periods", "number", "baseline periods", "baseline window",
          "xmr baseline"),
    ),
    "kpi_readings": (
        F("kpi", "KPI", "kpi", "kpi", "kpi code", "metric", "indicator", "measure", required=True),
        F("period", "Period", "date", "period", "week", "date", "month", "week starting", "as of", required=True),
        F("value", "Value", "number", "value", "actual", "reading", "result", "measurement", required=True),
        F("segment", "Segment", "text", "segment", "region", "site", "dimension", "breakdown"),
    ),
    "incentives": (
        F("team", "Team", "team", "team", "department", "group", required=True),
        F("kpi", "KPI", "kpi", "kpi", "kpi code", "metric", "measured on", "incentive kpi", required=True),
        F("weight", "Weight", "number", "weight", "bonus weight", "share", "weighting"),
    ),
    "expected_effects": (
        F("objective", "Objective", "objective", "objective", "initiative", "objective code", "change", required=True),
        F("kpi", "KPI", "kpi", "kpi", "kpi code", "metric", "affected kpi", required=True),
        F("effect", "Effect", "effect", "effect", "expected effect", "direction", "impact", "moves", required=True),
        F("note", "Note", "text", "note", "notes", "why", "comment", "rationale"),
    ),
    "people": (
        F("name", "Name", "text", "name", "person", "full name", "employee", "staff", required=True),
        F("email", "Email", "text", "email", "e mail", "mail", "email address"),
        F("team", "Team", "team", "team", "department", "group"),
        F("role_title", "Role", "text", "role", "job title", "title", "position"),
    ),
    "scorecard": (
        F("objective", "Objective", "text", "objective", "mesure", "policy", "measure", "programme", "goal",
          required=True),
        F("kpi_name", "KPI", "text", "indicator", "indicateur", "kpi", "kpi name", "metric", required=True),
        F("kpi_code", "KPI code", "key", "indicator id", "id indicateur", "kpi code", "kpi id", "metric id"),
        F("unit", "Unit", "text", "unit", "unite", "unité", "units"),
        F("baseline", "Baseline", "number", "baseline", "initial value", "valeur initiale", "start value"),
        F("baseline_date", "Baseline date", "date", "baseline date", "date valeur initiale", "initial date",
          "date initiale"),
        F("current", "Current value", "number", "current value", "valeur actuelle", "latest value", "actual",
          "latest", "current"),
        F("current_date", "Current date", "date", "current date", "date valeur actuelle", "latest date",
          "as of", "date actuelle"),
        F("target", "Target", "number", "target", "cible", "target value", "valeur cible"),
        F("target_date", "Target date", "date", "target date", "date cible", "deadline"),
        F("direction", "Direction", "direction", "direction", "polarity", "sens"),
        F("owner", "Owner", "person", "owner", "responsable", "accountable"),
        F("segment", "Segment", "text", "segment", "maille geographique", "region", "site", "level", "breakdown"),
    ),
}



def _with_other_languages(kinds: dict[str, tuple[FieldSpec, ...]]) -> dict[str, tuple[FieldSpec, ...]]:
    """Each field's English synonyms plus the other languages' and tools' words from ``synonyms.py``."""
    from core.importing.synonyms import EXTRA

    out = {}
    for kind, specs in kinds.items():
        extra = EXTRA.get(kind, {})
        out[kind] = tuple(FieldSpec(s.name, s.label, s.type, tuple(dict.fromkeys(s.synonyms + extra.get(s.name, ()))),
                                    s.required) for s in specs)
    return out


KINDS = _with_other_languages(KINDS)

KIND_LABELS = {
    "work_items": "Work items (tasks, tickets, milestones, projects)",
    "objectives": "Objectives",
    "kpis": "KPIs",
    "kpi_readings": "KPI readings",
    "incentives": "Incentives (team measured on KPI)",
    "expected_effects": "Expected effects (objective moves KPI)",
    "people": "People",
    "scorecard": "Scorecard (objective + KPI + baseline/current/target per row)",
}

# Sheet names that hint at a kind (a workbook's tabs are often named after what they hold).
SHEET_HINTS = {
    "people": ("people", "staff", "team members", "owners"),
    "objectives": ("objectives", "goals", "okrs", "strategy"),
    "kpis": ("kpis", "kpi", "metrics", "indicators"),
    "kpi_readings": ("readings", "kpi readings", "actuals", "measurements"),
    "incentives": ("incentives", "scorecards", "bonus"),
    "expected_effects": ("expected effects", "effects", "impacts"),
}

# Import order inside one workbook: what a row refers to must exist first.
KIND_ORDER = ("people", "objectives", "kpis", "scorecard", "kpi_readings", "incentives", "expected_effects",
              "work_items")


def fields_of(kind: str) -> dict[str, FieldSpec]:
    return {f.name: f for f in KINDS[kind]}
