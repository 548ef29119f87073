"""Headers and contents → fields: kind detection, profiles, overrides, and the Mapping a sheet is read with.

The scoring and the one-column-per-field assignment live in ``assign.py``; this module decides where the
mapping comes from (a named or recognised profile, else inference, then the user's overrides).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from core.importing.assign import Choice, assign
from core.importing.fields import KINDS, SHEET_HINTS
from core.importing.profile import ColumnProfile
from core.store.values import normalize_header


# --------------------------------------------------------------------------- suggestions
@dataclass(frozen=True)
class Suggestion:
    field: str | None
    confidence: float  # 0-100


def suggest_fields(headers: list[str], kind: str,
                   columns: dict[str, ColumnProfile] | None = None) -> dict[str, Suggestion]:
    """One suggested field per header (or none), from headers and, when given, what the columns hold."""
    return {h: Suggestion(c.field, c.confidence) for h, c in assign(headers, kind, columns).items()}


def required_present(kind: str, mapped_fields: Iterable[str]) -> list[str]:
    """Names of required fields that are missing (work items need a key or a title)."""
    present = set(mapped_fields)
    if kind == "work_items":
        return [] if present & {"external_key", "title"} else ["title"]
    if kind == "scorecard" and not present & {"current", "baseline"}:
        return ["current"] + [f.name for f in KINDS[kind] if f.required and f.name not in present]
    return [f.name for f in KINDS[kind] if f.required and f.name not in present]


# Fields that every kind has in some form: a sheet that fills only these says nothing about its kind.
_NAMING_FIELDS = {"code", "title", "name", "external_key", "description", "owner"}


def detect_kind(headers: list[str], sheet_name: str | None = None,
                columns: dict[str, ColumnProfile] | None = None) -> tuple[str, float]:
    """The kind whose fields the columns fill best; anything but work items must show a field of its own.

    A list of keys and titles (a ticket extract) is work, not objectives; a KPI sheet has a unit, a target or
    a value, a people sheet an e-mail, team or role.
    """
    best, best_score = "work_items", -1.0
    hint = normalize_header(re.sub(r"\.\w+$", "", sheet_name or ""))
    for kind in KINDS:
        choices = assign(headers, kind, columns)
        mapped = [c.field for c in choices.values() if c.field]
        if required_present(kind, mapped):
            continue
        hinted = bool(hint) and hint in SHEET_HINTS.get(kind, ())
        if kind != "work_items" and not hinted and not set(mapped) - _NAMING_FIELDS - {"kpi_name", "objective"}:
            continue
        score = sum(c.confidence for c in choices.values() if c.field) / 100.0
        score += 0.5 * len(mapped) / len(KINDS[kind])  # ties go to the kind the headers cover best
        if hinted:
            score += 3
        if score > best_score:
            best, best_score = kind, score
    return best, best_score


# --------------------------------------------------------------------------- mapping objects
@dataclass
class Mapping:
    """What the user (or a profile) decided for one sheet."""

    kind: str
    fields: dict[str, str]  # field -> header
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # "status" / "rag" -> raw -> canonical
    options: dict[str, Any] = field(default_factory=dict)
    profile_name: str | None = None
    confidence: dict[str, float] = field(default_factory=dict)  # header -> confidence of its field
    choices: dict[str, Choice] = field(default_factory=dict)  # header -> why it got its field (or none)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "fields": self.fields, "value_maps": self.value_maps,
                "options": self.options, "profile": self.profile_name}


@dataclass(frozen=True)
class Profile:
    """A saved or built-in mapping, recognised by the headers of a sheet."""

    name: str
    kind: str
    headers: tuple[str, ...]  # headers that must all be present (normalised on comparison)
    fields: dict[str, str]
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    builtin: bool = False

    def matches(self, headers: list[str]) -> bool:
        have = {exact_key(h) for h in headers}
        need = {exact_key(h) for h in self.headers}
        return bool(need) and need <= have


BUILTIN_PROFILES: tuple[Profile, ...] = (
    Profile(
        name="ServiceNow incident export",
        kind="work_items",
        headers=("number", "incident_state", "sys_updated_at", "assignment_group", "assigned_to", "opened_at"),
        fields={"external_key": "number", "status": "incident_state", "owner": "assigned_to",
                "team": "assignment_group", "created_at": "opened_at", "updated_at": "sys_updated_at",
                "done_at": "resolved_at", "priority": "priority"},
        options={"null_values": ["?"], "event_log": True, "item_type": "incident",
                 "title_columns": ["category", "subcategory", "u_symptom"], "date_order": "dmy"},
        builtin=True,
    ),
    Profile(
        name="Jira CSV export",
        kind="work_items",
        headers=("Issue key", "Issue id", "Summary", "Status"),
        fields={"external_key": "Issue key", "title": "Summary", "item_type": "Issue Type", "status": "Status",
                "owner": "Assignee", "created_at": "Created", "updated_at": "Updated", "done_at": "Resolved",
                "due_at": "Due Date", "priority": "Priority", "effort": "Custom field (Story Points)",
                "depends_on": "Inward issue link (Blocks)", "description": "Description"},
        options={"date_order": "dmy"},
        builtin=True,
    ),
)


def recognise_profile(headers: list[str], profiles: Iterable[Profile]) -> Profile | None:
    """The most specific profile whose headers are all present."""
    matching = [p for p in profiles if p.matches(headers)]
    return max(matching, key=lambda p: (len(p.headers), not p.builtin), default=None)


def exact_key(header: str) -> str:
    """A header as a profile names it: only case and spacing are ignored, brackets and punctuation count."""
    return re.sub(r"\s+", " ", str(header)).strip().casefold()


def resolve_header(wanted: str, headers: list[str], exact: bool = False) -> str | None:
    """A header named in a profile (``exact``: that header only) or a ``--map`` flag (also a unique prefix)."""
    if wanted in headers:
        return wanted
    same = [h for h in headers if exact_key(h) == exact_key(wanted)]
    if same or exact:
        return same[0] if same else None
    norm = normalize_header(wanted)
    exact = [h for h in headers if normalize_header(h) == norm]
    if exact:
        return exact[0]
    prefix = [h for h in headers if normalize_header(h).startswith(norm)]
    return prefix[0] if len(prefix) == 1 else None


def _profile_reason(profile: Profile) -> str:
    if profile.options.get("learned"):
        return f"mapped as last time (you chose it for '{profile.options.get('file', 'a file')}')"
    return f"from the profile '{profile.name}'"


def build_mapping(headers: list[str], sheet_name: str | None = None, *, kind: str | None = None,
                  profiles: Iterable[Profile] = (), profile_name: str | None = None,
                  overrides: dict[str, str] | None = None,
                  columns: dict[str, ColumnProfile] | None = None) -> Mapping:
    """Profile (named or recognised) first, then inference from headers and ``columns``; ``overrides`` last."""
    profiles = list(profiles) + list(BUILTIN_PROFILES)
    profile = None
    if profile_name:
        profile = next((p for p in profiles if p.name.casefold() == profile_name.casefold()), None)
        if profile is None:
            from core.errors import ImportRefused
            raise ImportRefused(f"there is no mapping profile named '{profile_name}'. Known profiles: "
                                + ", ".join(sorted(p.name for p in profiles)) + ".")
    elif kind in (None, "auto") or any(p.kind == kind for p in profiles):
        profile = recognise_profile(headers, [p for p in profiles if kind in (None, "auto") or p.kind == kind])
    if profile is not None:
        kind = profile.kind
        fields = {f: h for f, col in profile.fields.items() if (h := resolve_header(col, headers, exact=True))}
        evidence = {h: p.evidence() for h, p in (columns or {}).items()}
        by_header = {h: f for f, h in fields.items()}
        choices = {h: Choice(by_header.get(h), 100.0 if h in by_header else 0.0, 100.0 if h in by_header else 0.0,
                             evidence.get(h, ""), _profile_reason(profile) if h in by_header else "")
                   for h in headers}
        mapping = Mapping(kind, fields, {k: dict(v) for k, v in profile.value_maps.items()},
                          dict(profile.options), profile.name, {h: 100.0 for h in fields.values()}, choices)
    else:
        if kind in (None, "auto"):
            kind, _ = detect_kind(headers, sheet_name, columns)
        choices = assign(headers, kind, columns)
        fields = {c.field: h for h, c in choices.items() if c.field}
        mapping = Mapping(kind, fields, {}, {}, None, {h: c.confidence for h, c in choices.items() if c.field},
                          choices)
    for field_name, header in (overrides or {}).items():
        mapping.fields = {f: h for f, h in mapping.fields.items() if h != header}
        mapping.fields[field_name] = header
        mapping.confidence[header] = 100.0
        old = mapping.choices.get(header, Choice(None, 0.0))
        mapping.choices[header] = Choice(field_name, 100.0, old.header_score, old.evidence, "chosen by you")
    return mapping
