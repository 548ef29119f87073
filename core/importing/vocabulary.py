"""The words real tools write for a status or a RAG rating, and what each means here.

Status words come from Jira, ServiceNow (incident, change, problem), Azure DevOps, Redmine, Mantis, Monorail,
GitHub and XES event logs, in English, German, French, Spanish, Dutch, Portuguese, Italian and Russian. The
tool's own word is always kept as the raw status; this only says which of todo / in progress / blocked / done it
means. A word not here has no meaning until a user confirms one (``suggest_status`` proposes it).
"""
from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz, process

from core.store.values import name_key, word_key

STATUSES = ("todo", "in_progress", "blocked", "done")


_TODO = [
    # en / tools
    "new", "to do", "todo", "open", "opened", "reopened", "not started", "backlog", "planned", "tbc", "tbd",
    "draft", "pending", "proposed", "ready", "selected for development", "queued", "untriaged", "unconfirmed",
    "available", "triage", "triaged", "submitted", "acknowledged", "confirmed", "approved", "committed",
    "requested", "registered", "insert ticket", "assign seriousness", "logged", "not yet started", "early planning",
    # de fr es nl pt it ru
    "neu", "offen", "zu erledigen", "aufgaben", "geplant", "nicht begonnen", "nouveau", "nouvelle", "ouvert",
    "ouverte", "a faire", "à faire", "planifié", "nuevo", "nueva", "abierto", "abierta", "por hacer", "pendiente",
    "nieuw", "te doen", "gepland", "novo", "nova", "aberto", "aberta", "a fazer", "pendente", "nuovo", "aperto",
    "da fare", "pianificato", "новая", "новый", "открыта", "открыт", "открыто", "к выполнению", "запланировано",
    "подтверждена", "рассматривается",
]
_IN_PROGRESS = [
    "active", "in progress", "wip", "doing", "in prog", "started", "ongoing", "in review", "review", "testing",
    "in test", "underway", "under way", "on track", "in flight", "work in progress", "implementing", "implement",
    "assess", "authorize", "scheduled", "assigned", "fix in progress", "root cause analysis", "in development",
    "development", "code review", "qa", "feedback", "take in charge ticket", "require upgrade", "in analysis",
    "analysis", "being worked on", "in implementation", "delivery", "in delivery",
    "in arbeit", "in bearbeitung", "in prüfung", "in umsetzung", "en cours", "en revue", "en cours de traitement",
    "en curso", "en progreso", "en revisión", "en desarrollo", "in behandeling", "bezig", "in uitvoering",
    "em andamento", "em progresso", "em revisão", "in corso", "in lavorazione", "in revisione", "в работе",
    "в процессе", "назначена", "обратная связь", "на проверке", "выполняется",
]
_BLOCKED = [
    "blocked", "on hold", "waiting", "awaiting user info", "awaiting problem", "awaiting vendor",
    "awaiting evidence", "awaiting change", "awaiting", "stalled", "stuck", "paused", "impeded", "hold",
    "externaldependency", "external dependency", "wait", "waiting for customer", "waiting for support",
    "pending customer", "suspended", "deferred",
    "blockiert", "wartend", "wartet", "zurückgestellt", "angehalten", "bloqué", "bloquée", "en attente",
    "suspendu", "bloqueado", "en espera", "suspendido", "geblokkeerd", "wachten", "on hold gezet", "aguardando",
    "bloccato", "in attesa", "sospeso", "заблокирована", "приостановлена", "ожидание", "отложена", "ожидает",
]
_DONE = [
    "done", "complete", "completed", "closed", "resolved", "finished", "delivered", "cancelled", "canceled",
    "won't do", "wont do", "won't fix", "wont fix", "wontfix", "rejected", "duplicate", "live", "fixed",
    "verified", "archived", "invalid", "removed", "obsolete", "not a bug", "works as designed", "resolve ticket",
    "closed complete", "closed incomplete", "closed skipped", "implemented", "released", "shipped", "accepted",
    "erledigt", "fertig", "geschlossen", "gelöst", "abgeschlossen", "abgebrochen", "terminé", "termine", "fermé",
    "ferme", "résolu", "resolu", "clos", "annulé", "livré", "resuelto", "cerrado", "hecho", "terminado",
    "cancelado", "completado", "opgelost", "gesloten", "gereed", "klaar", "afgerond", "geannuleerd",
    "resolvido", "fechado", "concluído", "feito", "risolto", "chiuso", "completato", "fatto", "annullato",
    "решена", "решен", "решено", "закрыта", "закрыт", "закрыто", "отклонена", "выполнена", "выполнено",
    "готово", "отменена",
]
STATUS_WORDS: dict[str, str] = {word_key(w): s for words, s in ((_TODO, "todo"), (_IN_PROGRESS, "in_progress"),
                                                                  (_BLOCKED, "blocked"), (_DONE, "done"))
                                for w in words}
# Parts of longer words ("Awaiting vendor response", "Closed - duplicate"): checked after the exact words.
STATUS_STEMS = (("block", "blocked"), ("hold", "blocked"), ("await", "blocked"), ("wait", "blocked"),
                ("progress", "in_progress"), ("review", "in_progress"), ("complet", "done"), ("close", "done"),
                ("resolv", "done"), ("done", "done"), ("not start", "todo"), ("to do", "todo"), ("cancel", "done"))

RAG_WORDS: dict[str, str] = {
    **dict.fromkeys(["g", "green", "on track", "ok", "good", "vert", "g/a", "grün", "verde", "groen", "зеленый"],
                    "green"),
    **dict.fromkeys(["a", "amber", "at risk", "yellow", "a/g", "amber/green", "amber green", "a/r", "amber/red",
                     "orange", "some concerns", "watch", "gelb", "jaune", "amarillo", "geel", "amarelo", "giallo",
                     "желтый"], "amber"),
    **dict.fromkeys(["r", "red", "off track", "critical", "late", "rouge", "r/a", "red/amber", "rot", "rojo", "rood",
                     "vermelho", "rosso", "красный"], "red"),
}
NO_RATING_WORDS = {"na", "n/a", "none", "not rated", "no rating", "-", "tbc", "grey", "gray"}


def _missing(raw: Any) -> bool:
    return raw is None or (isinstance(raw, float) and raw != raw)


def canonical_status(raw: Any, overrides: dict[str, str] | None = None) -> str | None:
    """todo / in_progress / blocked / done, or None when the word is unknown (reported, not guessed)."""
    if _missing(raw):
        return None
    key = word_key(raw)
    if not key:
        return None
    if overrides:
        folded = {word_key(k): v for k, v in overrides.items()}
        if key in folded:
            return folded[key] or None
    if key in STATUS_WORDS:
        return STATUS_WORDS[key]
    for stem, status in STATUS_STEMS:
        if stem in key:
            return status
    return None


def is_status_word(raw: Any) -> bool:
    """A word of the status vocabulary itself (no stems): content evidence that a column holds statuses."""
    return not _missing(raw) and word_key(raw) in STATUS_WORDS


def suggest_status(raw: Any, position: float | None = None) -> str | None:
    """A meaning to propose for an unknown word: the closest known word, else its place in the file's workflow.

    ``position`` is where the word stands in its items' histories (0 = always first, 1 = always last).
    """
    if _missing(raw):
        return None
    match = process.extractOne(word_key(raw), list(STATUS_WORDS), scorer=fuzz.WRatio, score_cutoff=86)
    if match:
        return STATUS_WORDS[match[0]]
    if position is None:
        return None
    return "todo" if position <= 0.2 else "done" if position >= 0.9 else "in_progress"


def canonical_rag(raw: Any, overrides: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """(green/amber/red or None, note): text that is not a rating is kept as the note."""
    if _missing(raw):
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


def is_rag_word(raw: Any) -> bool:
    return not _missing(raw) and name_key(raw) in RAG_WORDS


# A segment column's words for "the whole": rows carrying them (or none) are the KPI's headline series.
HEADLINE_SEGMENTS = frozenset({"national", "nationwide", "country", "total", "all", "overall", "global", "whole",
                               "gesamt", "insgesamt", "ensemble", "france", "todos", "total general", "tutti",
                               "totaal", "всего", "итого", "group", "company"})


def segment_of(raw: Any) -> str:
    """'' for the headline level (blank, 'national', 'Total'…), else the segment as written ('Île-de-France')."""
    if _missing(raw):
        return ""
    text = " ".join(str(raw).split())
    return "" if word_key(text) in HEADLINE_SEGMENTS else text
