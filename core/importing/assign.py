"""Columns → fields: header evidence × content evidence, assigned one column per field, globally.

Header evidence is rapidfuzz similarity to each field's synonyms (every language in ``synonyms.py``); content
evidence is the column's :class:`~core.importing.profile.ColumnProfile`. Content can veto (a column whose values
are not dates is never a date field, a 3-value column is never a title, a count is never a key) and can propose
on its own where the header says nothing (a column of unique ``ABC-123`` values is a key in any language). The
final choice is the assignment with the highest total score (:mod:`core.importing.best_assignment`), so one
strong column never steals a field from a better pair the way a greedy best-first match did.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz

from core.importing.best_assignment import best_assignment
from core.importing.fields import KINDS, FieldSpec
from core.importing.profile import ColumnProfile
from core.store.values import normalize_header

THRESHOLD = 60.0  # a pair below this is no evidence at all
HEADER_MIN = 75.0  # a header this far from every synonym says nothing; the values alone may still propose
# Fields whose loss hurts most weigh more when the assignment trades one pair against another.
WEIGHTS = {"external_key": 1.3, "title": 1.3, "status": 1.15, "name": 1.3, "kpi_name": 1.3, "code": 1.2,
           "description": 0.6}


@dataclass(frozen=True)
class Choice:
    """Why a column got its field (or none): both kinds of evidence, for the Import page."""

    field: str | None
    confidence: float  # 0-100
    header_score: float = 0.0
    evidence: str = ""  # what the values are ("98% dates, day-first")
    reason: str = ""  # why it is unmapped or what decided it


def header_forms(header: str) -> list[str]:
    """The header as matched: first line without remarks, with its bracketed words, and the bracket alone.

    ``Custom field (Story Points)`` → ['custom field', 'custom field story points', 'story points']: Jira's
    custom fields all share the words outside the brackets, so the words inside must count too.
    """
    first = str(header).replace("\r", "\n").split("\n")[0]
    forms = [normalize_header(first)]
    inner = re.findall(r"\(([^)]*)\)", first)
    if inner:
        forms.append(normalize_header(re.sub(r"[()]", " ", first)))
        forms += [normalize_header(t) for t in inner]
    return [f for f in dict.fromkeys(forms) if f]


def _similarity(form: str, synonym: str) -> float:
    """Fuzzy similarity; a one-word synonym inside a longer header counts only as its last word (its noun).

    "Issue Status" is a status and "Due Date" a date, but "Risk Level" is not a risk and "Status granted" not a
    status: in English headers the last word names the thing, the words before it qualify it.
    """
    if form == synonym:
        return 100.0
    best = max(fuzz.ratio(form, synonym), fuzz.token_sort_ratio(form, synonym))
    words, syn_words = form.split(), synonym.split()
    if len(syn_words) == 1 and len(words) > 1:
        if words[-1] == synonym:
            best = max(best, 95.0)
        elif synonym in words:
            best = max(best, 70.0)
    elif len(words) <= len(syn_words) + 1:
        best = max(best, 0.95 * fuzz.token_set_ratio(form, synonym))
    return float(best)


@lru_cache(maxsize=256)
def normalized_synonyms(spec: FieldSpec) -> frozenset[str]:
    """A field's synonyms as headers are compared (normalised once per process, not once per header)."""
    return frozenset(normalize_header(s) for s in spec.synonyms) - {""}


@lru_cache(maxsize=65536)
def header_score(header: str, spec: FieldSpec) -> float:
    """How well a header names a field (0-100); the whole first line counts more than a bracketed part."""
    forms = header_forms(header)
    if not forms:
        return 0.0
    synonyms = normalized_synonyms(spec)
    best = max((_similarity(forms[0], s) for s in synonyms), default=0.0)
    for form in forms[1:]:  # the bracketed words count only as a whole ("Story Points"), never word by word
        best = max(best, 0.97 * max((float(fuzz.ratio(form, s)) for s in synonyms), default=0.0))
    return best


def _generic(p: ColumnProfile) -> str | None:
    """A veto shared by every text-like field: the values are dates or numbers."""
    if p.date_share >= 0.8 and not p.date_serial_only:
        return "holds dates"
    if p.number_share >= 0.8:
        return "holds numbers"
    return None


def compatibility(spec: FieldSpec, p: ColumnProfile | None) -> tuple[float, str | None]:
    """(factor 0-1 the header score is multiplied by, veto reason or None) from what the column holds."""
    if p is None:
        return 1.0, None
    if not p.filled:
        return (0.0, "is empty") if spec.name in ("title", "external_key", "name", "kpi_name") else (0.9, None)
    kind = spec.type
    if kind == "date":
        if p.date_share < 0.5:
            what = "numbers" if p.number_share >= 0.5 else "text"
            return 0.0, f"holds {what}, not dates ({p.date_share:.0%} read as dates)"
        return (0.7 if p.date_serial_only else 1.0) * (0.8 + 0.2 * p.date_share), None
    if kind == "number":
        if p.number_share < 0.5:
            return 0.0, f"holds text, not numbers ({p.number_share:.0%} read as numbers)"
        if p.date_share >= 0.8 and not p.date_serial_only:
            return 0.0, "holds dates, not numbers"
        factor = (0.8 + 0.2 * p.number_share) * (0.5 if spec.name == "effort" and p.negative_share > 0.1 else 1.0)
        return factor, None
    if kind == "key":
        if p.date_share >= 0.8 and not p.date_serial_only:
            return 0.0, "holds dates, not keys"
        if p.number_share >= 0.9 and p.integer_share < 0.99:
            return 0.0, "holds measurements (decimals), not keys"
        if p.mean_length > 60:
            return 0.0, "holds long text, not keys"
        if p.number_share >= 0.9 and p.distinct_ratio < 0.5:
            return 0.3, None  # a repeating whole number: a count more often than a key
        if p.key_share < 0.5:  # names, sentences: unique perhaps, but not what a tracker keys on
            return (0.45 if p.mean_length > 40 else 0.62) + 0.2 * p.key_share, None
        return 0.6 + 0.4 * max(p.key_share, min(1.0, p.distinct_ratio * 1.2)), None
    veto = _generic(p)
    if veto and kind not in ("direction", "effect"):
        return 0.0, f"{veto}, not {spec.label.lower()}"
    if spec.name in ("title", "name", "kpi_name"):
        if p.status_share >= 0.5 and spec.name == "title":
            return 0.0, "holds status words, not titles"
        if p.distinct <= 3 and p.filled >= 20:
            return 0.0, f"holds only {p.distinct} different value(s), not {spec.label.lower()}s"
        return (0.65 + 0.35 * min(1.0, p.distinct_ratio * 1.5)) * (1.0 if p.mean_length >= 8 else 0.8), None
    if kind == "status":
        if p.distinct > 200:
            return 0.0, f"holds {p.distinct} different values, too many for statuses"
        return 0.6 + 0.4 * p.status_share, None
    if kind == "rag":
        if p.distinct > 40:
            return 0.0, f"holds {p.distinct} different values, too many for RAG ratings"
        return 0.6 + 0.4 * p.rag_share, None
    if kind == "person":
        return 0.7 + 0.3 * p.person_share, None
    if spec.name in ("item_type", "priority") and p.distinct > 60:
        return 0.0, f"holds {p.distinct} different values, too many for a {spec.label.lower()}"
    return 1.0, None


def content_only(spec: FieldSpec, p: ColumnProfile | None) -> float:
    """A score from the values alone, for headers in no known language (never above a clear header match)."""
    if p is None or p.filled < 3 or p.fill < 0.5:
        return 0.0
    if spec.type == "key" and p.key_share >= 0.9 and p.number_share < 0.5 and p.mean_length <= 30 and (
            p.unique or p.distinct >= 3):
        return 68.0 if p.unique else 62.0
    if spec.name == "title" and _generic(p) is None and p.distinct_ratio >= 0.6 and 12 <= p.mean_length <= 300:
        return 61.0 + min(4.0, p.mean_length / 25)
    if spec.type == "status" and p.status_share >= 0.6 and p.distinct <= 40:
        return 60.0 + 10 * p.status_share
    if spec.type == "rag" and p.rag_share >= 0.7:
        return 62.0
    return 0.0


def score_matrix(headers: list[str], specs: tuple[FieldSpec, ...],
                 profiles: dict[str, ColumnProfile] | None) -> tuple[np.ndarray, dict[tuple[int, int], str], np.ndarray]:
    """(scores H×F, vetoes by (column, field), header scores H×F)."""
    scores = np.zeros((len(headers), len(specs)))
    heads = np.zeros_like(scores)
    vetoes: dict[tuple[int, int], str] = {}
    for i, header in enumerate(headers):
        p = (profiles or {}).get(header)
        for j, spec in enumerate(specs):
            h = header_score(header, spec)
            heads[i, j] = h
            factor, veto = compatibility(spec, p)
            if veto:
                if h >= HEADER_MIN:
                    vetoes[(i, j)] = veto
                continue
            scores[i, j] = h * factor if h >= HEADER_MIN else content_only(spec, p)
        scores[i] -= i * 1e-3  # ties go to the leftmost column
    named = ((heads >= HEADER_MIN) & (scores > 0)).any(axis=0)  # fields some header names (and content allows)
    scores[:, named] = np.where(heads[:, named] >= HEADER_MIN, scores[:, named], 0.0)  # no content-only rivals
    return scores, vetoes, heads


def assign(headers: list[str], kind: str, profiles: dict[str, ColumnProfile] | None = None,
           pinned: dict[str, str | None] | None = None) -> dict[str, Choice]:
    """One choice per header; each field goes to at most one column, maximising the total score.

    ``pinned`` holds the user's own choices (header → field, or None to ignore the column): they stand, and
    the other columns are assigned again around them, so one correction re-scores the rest.
    """
    specs = KINDS[kind]
    out = {h: Choice(None, 0.0, evidence=(profiles or {}).get(h).evidence() if (profiles or {}).get(h) else "")
           for h in headers}
    if not headers:
        return out
    scores, vetoes, heads = score_matrix(headers, specs, profiles)
    index = {spec.name: j for j, spec in enumerate(specs)}
    for header, field_name in (pinned or {}).items():
        if header in out:
            i = headers.index(header)
            scores[i, :] = 0.0
            if field_name in index:
                scores[:, index[field_name]] = 0.0
    weights = np.array([WEIGHTS.get(spec.name, 1.0) for spec in specs])
    taken = {}
    for i, j in best_assignment(np.where(scores >= THRESHOLD, scores * weights, 0.0)):
        if scores[i, j] >= THRESHOLD:
            taken[i] = j
    for i, header in enumerate(headers):
        evidence = out[header].evidence
        if header in (pinned or {}):
            field_name = (pinned or {})[header]
            out[header] = Choice(field_name if field_name in index else None, 100.0 if field_name in index else 0.0,
                                 round(float(heads[i, index[field_name]]), 1) if field_name in index else 0.0,
                                 evidence, "chosen by you" if field_name in index else "left out by you")
            continue
        if i in taken:
            j = taken[i]
            how = "header and content" if heads[i, j] >= HEADER_MIN else "content alone (the header names no field)"
            out[header] = Choice(specs[j].name, round(float(min(100.0, scores[i, j])), 1), round(float(heads[i, j]), 1),
                                 evidence, f"by {how}")
            continue
        best = int(np.argmax(heads[i]))
        if (i, best) in vetoes:
            out[header] = Choice(None, 0.0, round(float(heads[i, best]), 1), evidence,
                                 f"named like {specs[best].label} but {vetoes[(i, best)]}")
        elif heads[i, best] >= HEADER_MIN:
            holder = next((headers[k] for k, j in taken.items() if j == best), None)
            out[header] = Choice(None, 0.0, round(float(heads[i, best]), 1), evidence,
                                 f"{specs[best].label} went to '{holder}', a better match" if holder else "")
    return out
