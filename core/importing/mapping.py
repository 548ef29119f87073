"""Headers → fields: suggestions with a confidence, kind detection, profiles and value maps.

Similarity is rapidfuzz's (ratio, token sort and token set); this module only
decides which headers may compete for which field and resolves conflicts greedily,
best score first.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from rapidfuzz import fuzz

from core.importing.fields import KINDS, SHEET_HINTS, fields_of

SUGGEST_THRESHOLD = 80.0


# --------------------------------------------------------------------------- normalising
def normalize_header(header: str) -> str:
    """First line, no parenthesised remarks, no accents, lower case, words only."""
    text = str(header).replace("\r", "\n").split("\n")[0]
    text = re.sub(r"\([^)]*\)?", " ", text)
    text = re.sub(r" \[\d+\]$", "", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w#]+", " ", text.casefold()).replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()


def name_key(value: Any) -> str:
    """How people, teams and objectives are matched: case- and space-insensitive."""
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


# --------------------------------------------------------------------------- suggestions
@dataclass(frozen=True)
class Suggestion:
    field: str | None
    confidence: float  # 0-100


def _score(header_norm: str, synonym: str) -> float:
    if header_norm == synonym:
        return 100.0
    best = max(fuzz.ratio(header_norm, synonym), fuzz.token_sort_ratio(header_norm, synonym))
    if len(header_norm.split()) <= len(synonym.split()) + 1:
        best = max(best, 0.95 * fuzz.token_set_ratio(header_norm, synonym))
    return float(best)


def suggest_fields(headers: list[str], kind: str) -> dict[str, Suggestion]:
    """One suggested field per header (or none); each field goes to its best-scoring header."""
    specs = KINDS[kind]
    candidates: list[tuple[float, int, str, str]] = []
    for pos, header in enumerate(headers):
        norm = normalize_header(header)
        if not norm:
            continue
        for spec in specs:
            score = max((_score(norm, s) for s in spec.synonyms), default=0.0)
            if score >= SUGGEST_THRESHOLD:
                candidates.append((score, -pos, header, spec.name))
    candidates.sort(reverse=True)
    taken_headers: dict[str, Suggestion] = {}
    taken_fields: set[str] = set()
    for score, _neg, header, field_name in candidates:
        if header in taken_headers or field_name in taken_fields:
            continue
        taken_headers[header] = Suggestion(field_name, round(score, 1))
        taken_fields.add(field_name)
    return {h: taken_headers.get(h, Suggestion(None, 0.0)) for h in headers}


def required_present(kind: str, mapped_fields: Iterable[str]) -> list[str]:
    """Names of required fields that are missing (work items need a key or a title)."""
    present = set(mapped_fields)
    if kind == "work_items":
        return [] if present & {"external_key", "title"} else ["title"]
    if kind == "scorecard" and not present & {"current", "baseline"}:
        return ["current"] + [f.name for f in KINDS[kind] if f.required and f.name not in present]
    return [f.name for f in KINDS[kind] if f.required and f.name not in present]


def detect_kind(headers: list[str], sheet_name: str | None = None) -> tuple[str, float]:
    """The kind whose fields the headers fill best (required fields must be there)."""
    best, best_score = "work_items", -1.0
    hint = normalize_header(re.sub(r"\.\w+$", "", sheet_name or ""))
    for kind in KINDS:
        sugg = suggest_fields(headers, kind)
        mapped = [s.field for s in sugg.values() if s.field]
        if required_present(kind, mapped):
            continue
        score = sum(s.confidence for s in sugg.values() if s.field) / 100.0
        score += 0.5 * len(mapped) / len(KINDS[kind])  # ties go to the kind the headers cover best
        if hint and hint in SHEET_HINTS.get(kind, ()):
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
        have = {normalize_header(h) for h in headers}
        need = {normalize_header(h) for h in self.headers}
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


def resolve_header(wanted: str, headers: list[str]) -> str | None:
    """A header named in a profile or a ``--map`` flag: exact, normalised, or a unique prefix."""
    if wanted in headers:
        return wanted
    norm = normalize_header(wanted)
    exact = [h for h in headers if normalize_header(h) == norm]
    if exact:
        return exact[0]
    prefix = [h for h in headers if normalize_header(h).startswith(norm)]
    return prefix[0] if len(prefix) == 1 else None


def build_mapping(headers: list[str], sheet_name: str | None = None, *, kind: str | None = None,
                  profiles: Iterable[Profile] = (), profile_name: str | None = None,
                  overrides: dict[str, str] | None = None) -> Mapping:
    """Profile (named or recognised) first, then suggestions; ``overrides`` (field → header) last."""
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
        fields = {f: h for f, col in profile.fields.items() if (h := resolve_header(col, headers))}
        mapping = Mapping(kind, fields, {k: dict(v) for k, v in profile.value_maps.items()},
                          dict(profile.options), profile.name, {h: 100.0 for h in fields.values()})
    else:
        if kind in (None, "auto"):
            kind, _ = detect_kind(headers, sheet_name)
        sugg = suggest_fields(headers, kind)
        fields = {s.field: h for h, s in sugg.items() if s.field}
        mapping = Mapping(kind, fields, {}, {}, None, {h: s.confidence for h, s in sugg.items() if s.field})
    for field_name, header in (overrides or {}).items():
        mapping.fields = {f: h for f, h in mapping.fields.items() if h != header}
        mapping.fields[field_name] = header
        mapping.confidence[header] = 100.0
    return mapping


# --------------------------------------------------------------------------- value maps
STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(["new", "to do", "todo", "open", "not started", "backlog", "planned", "tbc", "tbd", "draft",
                     "pending", "proposed", "ready", "selected for development", "queued", "a faire", "à faire"],
                    "todo"),
    **dict.fromkeys(["active", "in progress", "wip", "doing", "in prog", "started", "ongoing", "in review",
                     "review", "testing", "in test", "underway", "under way", "on track", "in flight",
                     "en cours", "work in progress", "implementing", "assess", "authorize", "scheduled"],
                    "in_progress"),
    **dict.fromkeys(["blocked", "on hold", "waiting", "awaiting user info", "awaiting problem", "awaiting vendor",
                     "awaiting evidence", "awaiting", "stalled", "stuck", "paused", "impeded", "hold"],
                    "blocked"),
    **dict.fromkeys(["done", "complete", "completed", "closed", "resolved", "finished", "delivered", "cancelled",
                     "canceled", "won't do", "wont do", "rejected", "duplicate", "live", "termine", "terminé"],
                    "done"),
}
STATUS_STEMS = (("block", "blocked"), ("hold", "blocked"), ("await", "blocked"), ("wait", "blocked"),
                ("progress", "in_progress"), ("review", "in_progress"), ("complet", "done"), ("close", "done"),
                ("resolv", "done"), ("done", "done"), ("not start", "todo"), ("to do", "todo"))

RAG_WORDS: dict[str, str] = {
    **dict.fromkeys(["g", "green", "on track", "ok", "good", "vert", "g/a"], "green"),
    **dict.fromkeys(["a", "amber", "at risk", "yellow", "a/g", "amber/green", "amber green", "a/r", "amber/red",
                     "orange", "some concerns", "watch"], "amber"),
    **dict.fromkeys(["r", "red", "off track", "critical", "late", "rouge", "r/a", "red/amber"], "red"),
}
NO_RATING_WORDS = {"na", "n/a", "none", "not rated", "no rating", "-", "tbc", "grey", "gray"}


def canonical_status(raw: Any, overrides: dict[str, str] | None = None) -> str | None:
    """todo / in_progress / blocked / done, or None when the word is unknown (reported, not guessed)."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    key = name_key(raw)
    if not key:
        return None
    if overrides and key in {name_key(k): v for k, v in overrides.items()}:
        return {name_key(k): v for k, v in overrides.items()}[key] or None
    if key in STATUS_WORDS:
        return STATUS_WORDS[key]
    for stem, status in STATUS_STEMS:
        if stem in key:
            return status
    return None


def canonical_rag(raw: Any, overrides: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """(green/amber/red or None, note): text that is not a rating is kept as the note."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None, None
    text = str(raw).strip()
    key = name_key(text)
    if not key:
        return None, None
    if overrides:
        norm = {name_key(k): v for k, v in overrides.items()}
        if key in norm:
            return (norm[key] or None), None if norm[key] else text
    if key in RAG_WORDS:
        return RAG_WORDS[key], None
    if key in NO_RATING_WORDS:
        return None, None
    return None, text
